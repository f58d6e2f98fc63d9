/// A closure to keep behind a lock (`Mutex`, `Locked`, `AsyncState`): `Mutex(ClosureBox(f))`,
/// never `Mutex<() -> Void>`.
///
/// When a closure is itself the generic value of a lock, each `withLock` access passes it
/// `inout` at the generic abstraction, and the copy written back is wrapped in two more
/// reabstraction thunks. A closure read at every pass of a loop (the MQTT heartbeat was one)
/// becomes a chain of thunks that grows without bound: more CPU per call and more memory with
/// uptime. Inside a struct the closure keeps its own form. A test scans Sources/ for the pattern.
public struct ClosureBox<Value> {
    public var value: Value

    public init(_ value: Value) { self.value = value }
}

extension ClosureBox: Sendable where Value: Sendable {}
