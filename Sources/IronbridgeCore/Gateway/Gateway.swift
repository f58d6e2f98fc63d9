import Logging
import ServiceLifecycle
import Synchronization

/// The running gateway: storage -> platform link -> connectors, as one service.
///
/// `run()` returns after a graceful shutdown (SIGTERM/SIGINT through ServiceLifecycle, or
/// cancellation): connectors stop first and release their hardware, then what is stored is
/// given a few seconds to be acknowledged, then the MQTT connection is closed cleanly.
public final class Gateway: Service {
    public let setup: GatewaySetup
    public let registry: DeviceRegistry
    /// Set when the platform asked for a restart; the command line re-executes after `run()` returns.
    public let restart = RestartRequest()
    public let statistics = GatewayStatistics()
    /// Device activity, line round trips and the watchdog's heartbeats (`ironbridge status`, systemd).
    public let monitor = GatewayMonitor()
    public let store: UploadBuffer
    public let platform: PlatformLink
    private let connectorsByName: [String: any Connector]
    private let logger: Logger
    private let shutdown = ShutdownSignal()
    private let drainTimeout: Duration
    private let started = Atomic<Bool>(false)

    public init(setup: GatewaySetup, logger: Logger, drainTimeout: Duration = .seconds(5)) throws {
        self.setup = setup
        self.logger = logger
        self.drainTimeout = drainTimeout
        store = UploadBuffer(configuration: setup.config.storage, logger: logger)
        connectorsByName = Dictionary(setup.connectors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        registry = DeviceRegistry(file: RegistryFile(folder: setup.config.dataFolder, logger: logger))
        for connector in setup.connectors {
            for device in connector.devices { registry.register(device, connector: connector.name) }
        }
        registry.finishRegistration(configured: Set(setup.connectors.flatMap { $0.devices.map(\.name) }))
        let rpc = GatewayRPCService(registry: registry, statistics: statistics, store: store, restart: restart, logger: logger)
        platform = try PlatformLink(
            configuration: setup.config.thingsboard, store: store, registry: registry, statistics: statistics,
            directory: ConnectorTable(connectorsByName), gatewayRPC: rpc, readRecordsCount: setup.config.storage.readRecordsCount, logger: logger)
    }

    public func connector(named name: String) -> (any Connector)? { connectorsByName[name] }

    /// Asks the gateway to stop, as SIGTERM would.
    public func requestShutdown() { shutdown.fire() }

    /// True once the configuration is loaded and every connector has been started (the platform
    /// need not be reachable: an offline gateway still reads and stores): systemd's READY=1.
    public var hasStarted: Bool { started.load(ordering: .acquiring) }

    public func run() async {
        logger.info("ironbridge \(IronbridgeVersion.current) starting with \(setup.connectors.count) connector(s), \(registry.records.count) device(s)")
        let mqttHeartbeat = monitor.health.register("MQTT network thread")
        platform.client.setHeartbeat { mqttHeartbeat.beat() }
        await withDiscardingTaskGroup { outer in
            outer.addTask { await self.platform.run() }
            await withGracefulShutdownHandler {
                await withDiscardingTaskGroup { group in
                    for connector in setup.connectors {
                        var connectorLogger = logger
                        connectorLogger[metadataKey: "connector"] = .string(connector.name)
                        let context = ConnectorContext(connectorName: connector.name, store: store, registry: registry,
                                                       statistics: statistics, platform: platform, logger: connectorLogger,
                                                       monitor: monitor)
                        group.addTask { await connector.run(context: context) }
                    }
                    if let timeout = setup.config.inactivityTimeout {
                        group.addTask { await self.disconnectInactiveDevices(timeout: timeout) }
                    }
                    group.addTask {
                        let delay = await self.restart.waitForRequest()
                        try? await Task.sleep(for: delay)
                        if !Task.isCancelled { self.shutdown.fire() }
                    }
                    // Connectors start their threads as their tasks begin; let those tasks run first.
                    await Task.yield()
                    started.store(true, ordering: .releasing)
                    await shutdown.wait()
                    logger.info("shutting down: stopping connectors")
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                self.shutdown.fire()
            }
            await platform.stop(store: store, drainTimeout: drainTimeout)
            mqttHeartbeat.retire()
            store.close()
            logger.info("stopped")
        }
    }
}

extension Gateway {
    /// Every check period, tells the platform `disconnect` for devices silent for `timeout`.
    func disconnectInactiveDevices(timeout: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: setup.config.inactivityCheckPeriod)
            let expired = registry.expireInactive(timeout: timeout)
            guard !expired.isEmpty else { continue }
            logger.info("no data for \(timeout) from \(expired.joined(separator: ", ")): disconnected on the platform until their next data")
            store.append(expired.map { Upload.disconnect(device: $0) })
        }
    }
}

/// Connectors by name, immutable after start.
struct ConnectorTable: ConnectorDirectory {
    let table: [String: any Connector]
    init(_ table: [String: any Connector]) { self.table = table }
    func connector(named name: String) -> (any Connector)? { table[name] }
}
