import Synchronization

/// The parts of the gateway that could hang (the MQTT network thread, each Modbus line thread,
/// each GPIO chip thread), each reporting that it is alive. The systemd watchdog is fed only
/// while every registered part has beaten recently, so a part stuck in a blocking call makes
/// systemd restart the service.
///
/// A part registers once, beats from its own thread at least once per loop turn (the loops here
/// wake at least every second), and retires when it ends on purpose.
public final class HealthRegistry: Sendable {
    private struct Part {
        var name: String
        var lastBeat: ContinuousClock.Instant
    }

    private struct State {
        var parts: [Int: Part] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())
    private let limit = Mutex<Duration>(.seconds(10))

    public init() {}

    /// How long a part may stay silent before it counts as stalled: the watchdog interval when
    /// systemd's watchdog is on, else 10 s (for `ironbridge status`).
    public var stallLimit: Duration {
        get { limit.withLock { $0 } }
        set { limit.withLock { $0 = newValue } }
    }

    /// Registers a part (counted as alive from now) and returns its heartbeat.
    public func register(_ name: String) -> Heartbeat {
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            s.parts[s.nextID] = Part(name: name, lastBeat: .now)
            return s.nextID
        }
        return Heartbeat(registry: self, id: id)
    }

    fileprivate func beat(_ id: Int) {
        let now = ContinuousClock.now
        state.withLock { s in s.parts[id]?.lastBeat = now }
    }

    fileprivate func retire(_ id: Int) {
        state.withLock { s in _ = s.parts.removeValue(forKey: id) }
    }

    /// Names of the parts, sorted.
    public var partNames: [String] { state.withLock { s in s.parts.values.map(\.name).sorted() } }

    /// The parts whose last beat is older than `limit` at `now`, with that age, sorted by name.
    public func stalled(limit: Duration? = nil, now: ContinuousClock.Instant = .now) -> [(name: String, silentFor: Duration)] {
        let limit = limit ?? stallLimit
        return state.withLock { s in
            s.parts.values
                .filter { now - $0.lastBeat > limit }
                .map { (name: $0.name, silentFor: now - $0.lastBeat) }
                .sorted { $0.name < $1.name }
        }
    }
}

/// One part's link to the ``HealthRegistry``: `beat()` from the part's own loop; `retire()`
/// when it stops on purpose (a stopped part is not a stuck one).
public final class Heartbeat: Sendable {
    private let registry: HealthRegistry
    private let id: Int

    fileprivate init(registry: HealthRegistry, id: Int) {
        self.registry = registry
        self.id = id
    }

    public func beat() { registry.beat(id) }
    public func retire() { registry.retire(id) }
}
