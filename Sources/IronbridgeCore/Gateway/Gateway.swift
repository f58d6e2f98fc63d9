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
    /// Statistics, remote logging and service RPCs for ThingsBoard's gateway UI (docs/gateway-ui.md).
    public let ui: GatewayUI
    public let store: UploadBuffer
    public let platform: PlatformLink
    /// The running connectors; remote configuration starts, stops and replaces them one at a time.
    public let connectors: ConnectorSupervisor
    /// Set when `thingsboard.remoteConfiguration` is on (docs/remote-configuration.md).
    public let remoteConfiguration: RemoteConfigurator?
    /// Device-to-device messages of the connectors' devices (docs/messages.md).
    public let messenger: Messenger
    private let logger: Logger
    private let shutdown = ShutdownSignal()
    private let drainTimeout: Duration
    private let started = Atomic<Bool>(false)

    public init(setup: GatewaySetup, logger: Logger, drainTimeout: Duration = .seconds(5), remoteLog: RemoteLog? = nil) throws {
        self.setup = setup
        self.logger = logger
        self.drainTimeout = drainTimeout
        store = UploadBuffer(configuration: setup.config.storage, logger: logger)
        connectors = ConnectorSupervisor(connectors: setup.connectors, logger: logger)
        registry = DeviceRegistry(file: RegistryFile(folder: setup.config.dataFolder, logger: logger))
        for connector in setup.connectors {
            for device in connector.devices { registry.register(device, connector: connector.name) }
        }
        registry.finishRegistration(configured: Set(setup.connectors.flatMap { $0.devices.map(\.name) }))
        let serviceRPCs = ServiceRPCs(config: setup.config, restart: restart, registry: registry, logger: logger)
        let rpc = GatewayRPCService(registry: registry, statistics: statistics, store: store, restart: restart, logger: logger,
                                    service: serviceRPCs, connectors: connectors)
        let outbox = MessageOutbox()
        platform = try PlatformLink(
            configuration: setup.config.thingsboard, store: store, registry: registry, statistics: statistics,
            directory: connectors, gatewayRPC: rpc, readRecordsCount: setup.config.storage.readRecordsCount, logger: logger,
            messageOutbox: outbox)
        messenger = Messenger(rules: setup.connectors.flatMap(\.messageRules), outbox: outbox, store: store, registry: registry,
                              directory: connectors, platform: platform, rpcTimeoutMs: setup.config.thingsboard.rpcTimeoutMs, logger: logger)
        remoteConfiguration = setup.config.thingsboard.remoteConfiguration
            ? RemoteConfigurator(setup: setup, supervisor: connectors, platform: platform, registry: registry, store: store,
                                 statistics: statistics, restart: restart, logger: logger)
            : nil
        remoteConfiguration?.onConnectorRemoteLogging { remoteLog?.setConnector($0, enabled: $1) }
        if remoteConfiguration == nil { RemoteConfigurator.publishVersionOnConnect(platform, logger: logger) }
        ui = GatewayUI(platform: platform, statistics: statistics, monitor: monitor, store: store, registry: registry,
                       config: setup.config, serviceRPCs: serviceRPCs, remoteLog: remoteLog, logger: logger)
    }

    public func connector(named name: String) -> (any Connector)? { connectors.connector(named: name) }

    /// Asks the gateway to stop, as SIGTERM would.
    public func requestShutdown() { shutdown.fire() }

    /// True once the configuration is loaded and every connector has been started (the platform
    /// need not be reachable: an offline gateway still reads and stores): systemd's READY=1.
    public var hasStarted: Bool { started.load(ordering: .acquiring) }

    public func run() async {
        logger.info("ironbridge \(IronbridgeVersion.current) starting with \(setup.connectors.count) connector(s), \(registry.records.count) device(s)")
        let mqttHeartbeat = monitor.health.register("MQTT network thread")
        platform.client.setHeartbeat { mqttHeartbeat.beat() }
        let parts = ServiceGroup(configuration: ServiceGroupConfiguration(services: services(), logger: logger))
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { tasks in
                // SIGTERM (through the command's group), requestShutdown() and a restart the platform
                // asked for all end in one graceful shutdown of the parts, in reverse order.
                tasks.addTask {
                    await self.shutdown.wait()
                    self.logger.info("shutting down: stopping connectors")
                    await parts.triggerGracefulShutdown()
                }
                do {
                    try await parts.run()
                } catch {
                    logger.error("the gateway's services ended with an error: \(error)")
                }
                tasks.cancelAll()
            }
        } onGracefulShutdown: {
            self.shutdown.fire()
        }
        mqttHeartbeat.retire()
        store.close()
        logger.info("stopped")
    }

    /// The gateway's parts as services of one group. They start in this order and stop in the
    /// reverse one: the connectors first (they release their hardware and report their last
    /// values), the platform link last (it gives what is stored a moment to be acknowledged).
    /// A part that has nothing to do may return early without stopping the others.
    private func services() -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var parts: [any Service] = [PlatformLinkService(platform: platform, store: store, drainTimeout: drainTimeout)]
        parts.append(ClosureService { await cancelWhenGracefulShutdown { await self.messenger.run() } })
        if let remote = remoteConfiguration {
            parts.append(ClosureService { await cancelWhenGracefulShutdown { await remote.run() } })
        }
        parts.append(ClosureService {
            await cancelWhenGracefulShutdown {
                await ConnectionTrial.confirmPending(config: self.setup.config, platform: self.platform, restart: self.restart, logger: self.logger)
            }
        })
        parts.append(ClosureService {
            await cancelWhenGracefulShutdown {
                await self.ui.run(connectors: {
                    Set(self.registry.records.map(\.connector)).union(self.setup.connectors.map(\.name)).sorted()
                        .compactMap { name in self.connector(named: name).map { (name, $0.type) } }
                })
            }
        })
        if let timeout = setup.config.inactivityTimeout {
            parts.append(ClosureService { await cancelWhenGracefulShutdown { await self.disconnectInactiveDevices(timeout: timeout) } })
        }
        // `gateway_restart`: the same graceful shutdown after the delay; the command line then re-executes.
        parts.append(ClosureService {
            await cancelWhenGracefulShutdown {
                let delay = await self.restart.waitForRequest()
                try? await Task.sleep(for: delay)
                if !Task.isCancelled { self.shutdown.fire() }
            }
        })
        parts.append(ClosureService {
            await cancelWhenGracefulShutdown {
                await withDiscardingTaskGroup { group in
                    group.addTask {
                        await self.connectors.run { connector in
                            var connectorLogger = self.logger
                            connectorLogger[metadataKey: "connector"] = .string(connector.name)
                            return ConnectorContext(connectorName: connector.name, store: self.store, registry: self.registry,
                                                    statistics: self.statistics, platform: self.platform, logger: connectorLogger,
                                                    monitor: self.monitor, messenger: self.messenger)
                        }
                    }
                    // Connectors start their threads as their tasks begin; let those tasks run first.
                    await Task.yield()
                    self.started.store(true, ordering: .releasing)
                }
            }
        })
        return parts.map { .init(service: $0, successTerminationBehavior: .ignore) }
    }
}

/// The platform link as a service: it runs until the graceful shutdown (or cancellation), then
/// gives what is stored `drainTimeout` to be acknowledged and disconnects cleanly.
struct PlatformLinkService: Service {
    let platform: PlatformLink
    let store: UploadBuffer
    let drainTimeout: Duration

    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await platform.run() }
            try? await gracefulShutdown()
            await platform.stop(store: store, drainTimeout: drainTimeout)
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
