#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex with a condition variable (in place of NSCondition), whose timed waits run on
/// CLOCK_MONOTONIC (`SystemClock.monotonicNanoseconds()`), so a wall-clock step neither cuts a
/// wait short nor stretches it. Use as NSCondition: `lock()`, test the predicate in a loop
/// around `wait...`, `unlock()`; `signal()`/`broadcast()` with the lock held.
public final class ThreadCondition: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var rc = pthread_mutex_init(mutex, nil)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if !canImport(Darwin)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        rc = pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        precondition(rc == 0, "pthread_cond_init failed: \(rc)")
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deinitialize(count: 1)
        condition.deallocate()
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
    public func signal() { pthread_cond_signal(condition) }
    public func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits (lock held) until signalled or woken spuriously.
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// Waits (lock held) until signalled or the monotonic `deadline` (nanoseconds, as
    /// `SystemClock.monotonicNanoseconds()`); false once the deadline has passed.
    @discardableResult
    public func wait(untilNanoseconds deadline: UInt64) -> Bool {
        var spec = timespec(nanoseconds: deadline)
        return pthread_cond_timedwait(condition, mutex, &spec) != ETIMEDOUT
    }

    /// Waits (lock held) at most `nanoseconds`; false on time-out.
    @discardableResult
    public func wait(nanoseconds: UInt64) -> Bool {
        wait(untilNanoseconds: SystemClock.monotonicNanoseconds() &+ nanoseconds)
    }

    public func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock()
        defer { unlock() }
        return try body()
    }
}
