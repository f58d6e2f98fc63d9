/// The release state of a requested line, kept under the line's lock.
///
/// A wait runs without the lock (it blocks), so a `release()` arriving meanwhile must not
/// free the line (and close the fd) under the waiter: it is deferred to the last waiter's
/// `endWait()`. Both implementations use this.
struct LineLifecycle: Sendable {
    private(set) var isReleased = false
    private var waiters = 0
    private var releasePending = false

    /// Registers a waiter; false if the line is already released.
    mutating func beginWait() -> Bool {
        guard !isReleased else { return false }
        waiters += 1
        return true
    }

    /// Ends a wait; true if the caller must now free the line.
    mutating func endWait() -> Bool {
        waiters -= 1
        if waiters == 0 && releasePending {
            releasePending = false
            return true
        }
        return false
    }

    /// Marks the line released; true if the caller must free it now (no waiter).
    mutating func release() -> Bool {
        guard !isReleased else { return false }
        isReleased = true
        if waiters > 0 {
            releasePending = true
            return false
        }
        return true
    }
}
