import Logging

/// What ThingsBoard's gateway pages and dashboard need from the gateway, apart from remote
/// configuration (docs/gateway-ui.md): statistics, remote logging with its shared attribute
/// `RemoteLoggingLevel` (requested on every connect, applied on every update, echoed as a client
/// attribute so the UI shows it), and the service RPCs.
public final class GatewayUI: Sendable {
    public let statistics: StatisticsReporter
    public let remoteLog: RemoteLog?
    public let serviceRPCs: ServiceRPCs
    private let platform: PlatformLink
    private let logger: Logger

    public init(platform: PlatformLink, statistics: GatewayStatistics, monitor: GatewayMonitor, store: any UploadStore,
                registry: DeviceRegistry, config: GatewayConfig, serviceRPCs: ServiceRPCs, remoteLog: RemoteLog?, logger: Logger) {
        self.platform = platform
        self.serviceRPCs = serviceRPCs
        self.remoteLog = remoteLog
        self.logger = logger
        self.statistics = StatisticsReporter(platform: platform, statistics: statistics, monitor: monitor, store: store,
                                             registry: registry, config: config.ui, logger: logger)
        remoteLog?.configure(config.ui, connectors: config.connectors)
        remoteLog?.countServiceErrors(in: statistics.errors)
        serviceRPCs.attach(platform)
        platform.onConnected { [weak self] in await self?.requestLoggingLevel() }
        platform.onGatewayAttributes { [weak self] values in await self?.apply(values) }
    }

    /// Runs until cancelled; `connectors` lists the running connectors' names and types.
    public func run(connectors: @escaping @Sendable () -> [(name: String, type: String)]) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.statistics.run(connectors: connectors) }
            if let remoteLog { group.addTask { await remoteLog.run(platform: self.platform) } }
        }
    }

    private func requestLoggingLevel() async {
        guard remoteLog != nil else { return }
        do {
            let answer = try await platform.requestGatewayAttributes(sharedKeys: ["RemoteLoggingLevel"])
            let value = answer["shared"]?["RemoteLoggingLevel"] ?? answer["shared"]?.objectValue.map { _ in JSONValue.string("NONE") }
            await applyLevel(value ?? .string("NONE"), force: true)
        } catch {
            logger.debug("RemoteLoggingLevel not received: \(error)")
        }
    }

    private func apply(_ values: [String: JSONValue]) async {
        if let level = values["RemoteLoggingLevel"] {
            await applyLevel(level, force: false)
        } else if values["deleted"]?.arrayValue?.contains(.string("RemoteLoggingLevel")) == true {
            await applyLevel(.string("NONE"), force: false)
        }
    }

    /// Applies a level and echoes it as a client attribute when it changed (or `force`): an echo
    /// coming back on a plain broker is then the same value, and is not echoed again.
    private func applyLevel(_ value: JSONValue, force: Bool) async {
        guard let remoteLog else { return }
        guard let name = value.stringValue, RemoteLog.levels[name.uppercased()] != nil else {
            logger.warning("RemoteLoggingLevel \(PlatformText.clip(value)) is not one of \(RemoteLog.levels.keys.sorted().joined(separator: ", ")); unchanged (\(remoteLog.levelName))")
            return
        }
        let before = remoteLog.levelName
        remoteLog.setLevel(name)
        guard force || before != remoteLog.levelName else { return }
        logger.info("remote logging level \(remoteLog.levelName)")
        _ = try? await platform.publishGatewayAttributes(["RemoteLoggingLevel": .string(remoteLog.levelName)])
    }
}
