import Synchronization

/// A restart asked for by the platform (`gateway_restart`): the gateway shuts down
/// gracefully after the delay, and the command line then re-executes the process.
public final class RestartRequest: Sendable {
    private struct State {
        var delay: Duration?
        var reboot = false
        var waiters: [CheckedContinuation<Duration, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// True once a restart was requested.
    public var isRequested: Bool { state.withLock { $0.delay != nil } }

    /// True when the machine is to be rebooted (`gateway_reboot` with `thingsboard.allowReboot`),
    /// not just the service restarted.
    public var isRebootRequested: Bool { state.withLock { $0.reboot } }

    func request(after delay: Duration, reboot: Bool = false) {
        let waiters = state.withLock { s in
            if reboot { s.reboot = true }
            s.delay = s.delay.map { min($0, delay) } ?? delay
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: delay) }
    }

    /// Returns the delay once a restart is requested, or when the calling task is cancelled.
    func waitForRequest() async -> Duration {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let delay: Duration? = state.withLock { s in
                    if s.delay == nil && !Task.isCancelled { s.waiters.append(continuation) }
                    return s.delay ?? (Task.isCancelled ? .zero : nil)
                }
                if let delay { continuation.resume(returning: delay) }
            }
        } onCancel: {
            let waiters = state.withLock { s in
                defer { s.waiters = [] }
                return s.waiters
            }
            for waiter in waiters { waiter.resume(returning: .zero) }
        }
    }
}
