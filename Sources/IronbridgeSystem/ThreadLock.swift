#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex (in place of NSLock).
///
/// pthread rather than `Synchronization.Mutex`: ThreadSanitizer understands pthread mutexes (it
/// does not see the futex inside `Mutex` on Linux), so `swift test --sanitize=thread` checks the
/// state shared with C threads (libmosquitto's, the line and chip threads) for real.
public final class ThreadLock: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let rc = pthread_mutex_init(mutex, nil)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    @inlinable public func lock() { pthread_mutex_lock(mutex) }
    @inlinable public func unlock() { pthread_mutex_unlock(mutex) }

    @inlinable public func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// A value guarded by a pthread mutex. `@unchecked Sendable`: `value` is only touched inside
/// `withLock`.
public final class Locked<Value>: @unchecked Sendable {
    @usableFromInline let lock = ThreadLock()
    @usableFromInline var value: Value

    public init(_ value: Value) { self.value = value }

    @inlinable public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
