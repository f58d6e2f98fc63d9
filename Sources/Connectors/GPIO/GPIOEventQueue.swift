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

/// Where chip threads and RPC handlers put their reports. Once the connector runs, a `target`
/// is attached and every push is delivered by it on the pushing thread (an edge goes from the
/// chip thread to the store with no hand-off); before that, pushes are kept and go first.
/// The waiting part serves the connector's task, which waits here until it is interrupted.
final class GPIOEventQueue: Sendable {
    typealias Target = @Sendable ([GPIOConnectorEvent]) -> Void

    private struct State {
        var items: [GPIOConnectorEvent] = []
        var target: Target?
        var waiter: CheckedContinuation<Void, Never>?
        var interrupted = false
    }

    private let state = Mutex(State())

    func push(_ event: GPIOConnectorEvent) { push([event]) }

    func push(_ events: [GPIOConnectorEvent]) {
        guard !events.isEmpty else { return }
        let (target, waiter) = state.withLock { state -> (Target?, CheckedContinuation<Void, Never>?) in
            if let target = state.target { return (target, nil) }
            state.items.append(contentsOf: events)
            defer { state.waiter = nil }
            return (nil, state.waiter)
        }
        target?(events)
        waiter?.resume()
    }

    /// From now on, pushes are delivered by `target` on the pushing thread; what was kept goes first.
    func attach(_ target: @escaping Target) {
        let kept = state.withLock { state in
            defer { state.items.removeAll(); state.target = target }
            return state.items
        }
        if !kept.isEmpty { target(kept) }
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
