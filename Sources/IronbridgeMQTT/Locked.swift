import Glibc

/// A value guarded by a pthread mutex.
///
/// Used here instead of `Synchronization.Mutex` because this module's state is shared with
/// libmosquitto's network thread, and ThreadSanitizer understands pthread mutexes (it does
/// not see the futex inside `Mutex` on Linux), so `swift test --sanitize=thread` checks this
/// module for real. `@unchecked Sendable`: `value` is only touched inside `withLock`.
final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
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

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
