import IronbridgeCore
import IronbridgeSystem

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
/// The connector's task waits here (for what was kept) until it is cancelled.
final class GPIOEventQueue: Sendable {
    typealias Target = @Sendable ([GPIOConnectorEvent]) -> Void

    private struct State {
        var items: [GPIOConnectorEvent] = []
        var target: Target?
    }

    private let state = AsyncState(State())

    func push(_ event: GPIOConnectorEvent) { push([event]) }

    func push(_ events: [GPIOConnectorEvent]) {
        guard !events.isEmpty else { return }
        let target = state.withLock { state -> Target? in
            if let target = state.target { return target }
            state.items.append(contentsOf: events)
            return nil
        }
        target?(events)
    }

    /// From now on, pushes are delivered by `target` on the pushing thread; what was kept goes first.
    func attach(_ target: @escaping Target) {
        let kept = state.withLock { state in
            defer { state.items.removeAll(); state.target = target }
            return state.items
        }
        if !kept.isEmpty { target(kept) }
    }

    /// Returns true once something is kept, false when the calling task is cancelled.
    func waitForItems() async -> Bool {
        await state.wait(until: { !$0.items.isEmpty })
    }

    /// Takes everything kept.
    func drain() -> [GPIOConnectorEvent] {
        state.withLock { state in
            defer { state.items.removeAll() }
            return state.items
        }
    }
}
