import IronbridgeSystem

/// A restart asked for by the platform (`gateway_restart`): the gateway shuts down
/// gracefully after the delay, and the command line then re-executes the process.
public final class RestartRequest: Sendable {
    private struct State {
        var delay: Duration?
        var reboot = false
    }

    private let state = AsyncState(State())

    public init() {}

    /// True once a restart was requested.
    public var isRequested: Bool { state.withLock { $0.delay != nil } }

    /// True when the machine is to be rebooted (`gateway_reboot` with `thingsboard.allowReboot`),
    /// not just the service restarted.
    public var isRebootRequested: Bool { state.withLock { $0.reboot } }

    /// Asks for a restart after `delay` (the shortest of several requests wins).
    func request(after delay: Duration, reboot: Bool = false) {
        state.withLock { s in
            if reboot { s.reboot = true }
            s.delay = s.delay.map { min($0, delay) } ?? delay
        }
    }

    /// Returns the delay once a restart is requested; zero when the calling task is cancelled.
    func waitForRequest() async -> Duration {
        await state.wait(for: { $0.delay }) ?? .zero
    }
}
