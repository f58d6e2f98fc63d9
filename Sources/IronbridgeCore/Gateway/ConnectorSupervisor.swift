import Logging
import Synchronization

/// Owns the running connectors: starts them, and can stop, start or replace one at runtime
/// while the others keep running (remote configuration from ThingsBoard's gateway UI).
///
/// Each connector runs in a child task of `run()`; stopping one cancels only that task and
/// waits until its `run(context:)` returned, i.e. until its hardware (Modbus connections, GPIO
/// lines) is released, so that its replacement can take the same hardware.
public final class ConnectorSupervisor: ConnectorDirectory, Sendable {
    public typealias ContextFactory = @Sendable (any Connector) -> ConnectorContext

    private struct Slot: Sendable {
        let connector: any Connector
        let stop = ShutdownSignal()
        let finished = ShutdownSignal()
    }

    private let slots: Mutex<[String: Slot]>
    /// Connectors in start order (for listings), by name.
    private let order: Mutex<[String]>
    private let starts: AsyncStream<Slot>
    private let startInput: AsyncStream<Slot>.Continuation
    private let logger: Logger
    /// How long `stop` waits for a connector's task to end before giving up on it.
    let stopTimeout: Duration

    public init(connectors: [any Connector], logger: Logger, stopTimeout: Duration = .seconds(15)) {
        self.logger = logger
        self.stopTimeout = stopTimeout
        (starts, startInput) = AsyncStream.makeStream()
        var table: [String: Slot] = [:]
        var names: [String] = []
        for connector in connectors where table[connector.name] == nil {
            let slot = Slot(connector: connector)
            table[connector.name] = slot
            names.append(connector.name)
            startInput.yield(slot)
        }
        slots = Mutex(table)
        order = Mutex(names)
    }

    public func connector(named name: String) -> (any Connector)? { slots.withLock { $0[name]?.connector } }

    /// The running connectors, in the order they were started.
    public var connectors: [any Connector] {
        let names = order.withLock { $0 }
        return slots.withLock { table in names.compactMap { table[$0]?.connector } }
    }

    /// Runs every connector, and those started later, until the task is cancelled; then every
    /// connector's task is cancelled and awaited.
    public func run(makeContext: @escaping ContextFactory) async {
        await withDiscardingTaskGroup { group in
            for await slot in starts {
                let context = makeContext(slot.connector)
                group.addTask {
                    await withTaskGroup(of: Void.self) { inner in
                        inner.addTask { await slot.connector.run(context: context) }
                        inner.addTask { await slot.stop.wait() }
                        _ = await inner.next()
                        inner.cancelAll()
                        await inner.waitForAll()
                    }
                    slot.finished.fire()
                }
            }
            group.cancelAll()
        }
        startInput.finish()
    }

    /// Starts `connector` (a name not running yet). False if the name is taken.
    @discardableResult
    public func start(_ connector: any Connector) -> Bool {
        let slot = Slot(connector: connector)
        let added = slots.withLock { table in
            guard table[connector.name] == nil else { return false }
            table[connector.name] = slot
            return true
        }
        guard added else { return false }
        order.withLock { $0.append(connector.name) }
        startInput.yield(slot)
        logger.info("connector '\(connector.name)' (\(connector.type)) started", metadata: ["connector": .string(connector.name)])
        return true
    }

    /// Stops the connector `name` and waits (at most ``stopTimeout``) until it released its
    /// hardware. Returns the stopped connector, nil if none ran under that name.
    @discardableResult
    public func stop(_ name: String) async -> (any Connector)? {
        guard let slot = slots.withLock({ $0.removeValue(forKey: name) }) else { return nil }
        order.withLock { $0.removeAll { $0 == name } }
        slot.stop.fire()
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await slot.finished.wait(); return !Task.isCancelled }
            group.addTask { try? await Task.sleep(for: self.stopTimeout); return false }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
        if finished {
            logger.info("connector '\(name)' stopped", metadata: ["connector": .string(name)])
        } else {
            logger.warning("connector '\(name)' did not stop within \(stopTimeout); going on without it", metadata: ["connector": .string(name)])
        }
        return slot.connector
    }

    /// Stops the connector of the same name (if any) and starts `connector` in its place.
    public func replace(with connector: any Connector) async {
        await stop(connector.name)
        start(connector)
    }
}
