/// State behind a lock that tasks can wait on: the gateway's one waiting primitive.
///
/// Any thread changes the state with `withLock`; a task waits with `wait(for:)` until a value
/// derived from the state exists. Every waiter is checked after each `withLock`, and resumed
/// outside the lock. A task that is cancelled while it waits gets `nil` back at once, whether
/// the cancellation came before its continuation was stored or after: that guard is written
/// here, once, instead of in every type that waits.
///
/// `@unchecked Sendable`: `state` and `waiters` are only touched while `lock` is held.
public final class AsyncState<State>: @unchecked Sendable {
    private struct Waiter {
        /// Resumes the waiting task with the value the state now gives, if it gives one.
        let resumeIfReady: (borrowing State) -> (() -> Void)?
        let resumeCancelled: () -> Void
    }

    private let lock = ThreadLock()
    private var state: State
    private var waiters: [UInt64: Waiter] = [:]
    private var nextWaiter: UInt64 = 0

    public init(_ state: State) { self.state = state }

    /// Reads or changes the state; waiters whose value now exists are resumed afterwards.
    public func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        lock.lock()
        let result: Result
        do {
            result = try body(&state)
        } catch {
            let ready = takeReadyLocked()
            lock.unlock()
            for resume in ready { resume() }
            throw error
        }
        let ready = takeReadyLocked()
        lock.unlock()
        for resume in ready { resume() }
        return result
    }

    /// Returns `ready(state)` once it is not nil (at once if it already is), or nil when the
    /// calling task is cancelled. `ready` runs under the lock: keep it short, never block in it.
    public func wait<Value: Sendable>(for ready: @escaping @Sendable (borrowing State) -> Value?) async -> Value? {
        let id = lock.withLock {
            defer { nextWaiter &+= 1 }
            return nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                lock.lock()
                if let value = ready(state) {
                    lock.unlock()
                    continuation.resume(returning: value)
                    return
                }
                if Task.isCancelled {
                    // Cancelled before this point: the handler below found nothing to resume.
                    lock.unlock()
                    continuation.resume(returning: nil)
                    return
                }
                waiters[id] = Waiter(
                    resumeIfReady: { state in ready(state).map { value in { continuation.resume(returning: value) } } },
                    resumeCancelled: { continuation.resume(returning: nil) })
                lock.unlock()
            }
        } onCancel: {
            let waiter = lock.withLock { waiters.removeValue(forKey: id) }
            waiter?.resumeCancelled()
        }
    }

    /// Returns once `condition(state)` holds; false when the calling task was cancelled first.
    @discardableResult
    public func wait(until condition: @escaping @Sendable (borrowing State) -> Bool) async -> Bool {
        await wait(for: { condition($0) ? true : nil }) ?? false
    }

    /// Returns once `condition(state)` holds, cancelled or not: for waiting until a thread has
    /// ended, which must not be cut short by the cancellation that asked it to end.
    public func waitEvenIfCancelled(until condition: @escaping @Sendable (borrowing State) -> Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if condition(state) {
                lock.unlock()
                continuation.resume()
                return
            }
            let id = nextWaiter
            nextWaiter &+= 1
            waiters[id] = Waiter(resumeIfReady: { condition($0) ? { continuation.resume() } : nil }, resumeCancelled: {})
            lock.unlock()
        }
    }

    /// Call with `lock` held: removes the waiters whose value exists and returns their resumptions.
    private func takeReadyLocked() -> [() -> Void] {
        guard !waiters.isEmpty else { return [] }
        var ready: [() -> Void] = []
        for (id, waiter) in waiters {
            if let resume = waiter.resumeIfReady(state) {
                waiters[id] = nil
                ready.append(resume)
            }
        }
        return ready
    }
}
