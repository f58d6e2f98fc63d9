import IronbridgeSystem

/// Fired once (graceful shutdown, or cancellation of the waiting task); `wait()` returns after that.
final class ShutdownSignal: Sendable {
    private let fired = AsyncState(false)

    func fire() { fired.withLock { $0 = true } }

    /// Returns once fired; a cancelled waiter fires it.
    func wait() async {
        if !(await fired.wait(until: { $0 })) { fire() }
    }
}
