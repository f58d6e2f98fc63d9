import IronbridgeCore
import Synchronization

/// What the chip threads and RPC handlers hand to `run(context:)`, which passes it on to the
/// platform. Chip threads are plain threads: they cannot await, so they push here.
enum GPIOConnectorEvent: Sendable, Equatable {
    case telemetry(TelemetryRecord)
    case attributes(device: String, values: [DataPoint])
    case connected(device: String)
    case disconnected(device: String)
    /// Counted in `gateway_stats` (the message was already logged).
    case error
}

/// A queue that any thread may push to without waiting, drained by one async consumer.
/// Unlike an AsyncStream it keeps what was pushed when the consumer's task is cancelled, so
/// the last reports (outputs set to their safe state at shutdown) still go out.
final class GPIOEventQueue: Sendable {
    private struct State {
        var items: [GPIOConnectorEvent] = []
        var waiter: CheckedContinuation<Void, Never>?
        var interrupted = false
    }

    private let state = Mutex(State())

    func push(_ event: GPIOConnectorEvent) { push([event]) }

    func push(_ events: [GPIOConnectorEvent]) {
        guard !events.isEmpty else { return }
        let waiter = state.withLock { state in
            state.items.append(contentsOf: events)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns once something is queued, or after `interrupt()`.
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                if !state.items.isEmpty || state.interrupted {
                    state.interrupted = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Wakes the waiter (or the next wait) without an item: used on cancellation.
    func interrupt() {
        let waiter = state.withLock { state in
            defer { state.waiter = nil }
            if state.waiter == nil { state.interrupted = true }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Takes everything queued.
    func drain() -> [GPIOConnectorEvent] {
        state.withLock { state in
            defer { state.items.removeAll() }
            return state.items
        }
    }
}
