import Synchronization

/// Whether the platform link is up, and a way to wait until it is. `session` counts
/// connects, so the sender can tell a new session (announce devices again) from the old one.
final class ConnectionGate: Sendable {
    private struct State {
        var connected = false
        var session = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var isOpen: Bool { state.withLock { $0.connected } }
    var session: Int { state.withLock { $0.session } }

    func open() {
        let waiters = state.withLock { s in
            s.connected = true
            s.session += 1
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func close() { state.withLock { $0.connected = false } }

    /// Returns the session number once connected; returns early (with the current session) if the task is cancelled.
    func waitUntilOpen() async -> Int {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s in
                    if s.connected || Task.isCancelled { return true }
                    s.waiters.append(continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiters = state.withLock { s in
                defer { s.waiters = [] }
                return s.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        return session
    }
}
