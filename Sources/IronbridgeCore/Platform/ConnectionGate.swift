import IronbridgeSystem

/// Whether the platform link is up, and a way to wait until it is. `session` counts
/// connects, so the sender can tell a new session (announce devices again) from the old one.
final class ConnectionGate: Sendable {
    private struct State {
        var connected = false
        var session = 0
    }

    private let state = AsyncState(State())

    var isOpen: Bool { state.withLock { $0.connected } }
    var session: Int { state.withLock { $0.session } }

    func open() {
        state.withLock { s in
            s.connected = true
            s.session += 1
        }
    }

    func close() { state.withLock { $0.connected = false } }

    /// Returns the session number once connected; returns early (with the current session) if the task is cancelled.
    func waitUntilOpen() async -> Int {
        await state.wait(for: { $0.connected ? $0.session : nil }) ?? session
    }
}
