import IronbridgeSystem
import Logging
import Synchronization

/// Remote configuration from ThingsBoard's gateway UI (`thingsboard.remoteConfiguration`,
/// docs/remote-configuration.md; the protocol in thingsboard-gateway-ui.md §1).
///
/// On every connect it publishes the client attributes the UI reads and asks for the shared
/// ones; what the UI writes (the answer, and later updates on `v1/devices/me/attributes`) is
/// applied one message at a time, in arrival order, by `run()`: connectors added, changed,
/// disabled or removed one by one without a restart (``ConnectorSupervisor``), validated by
/// the same code as `ironbridge check`, persisted atomically with a backup, and echoed back.
public final class RemoteConfigurator: Sendable {
    enum Work: Sendable {
        case connected
        case shared([String: JSONValue])
    }

    /// The shared keys asked for after every connect (besides the connectors they name).
    static let requestedKeys = ["general_configuration", "storage_configuration", "logs_configuration", "active_connectors"]
    /// Keys of the UI this type owns; any other key is a connector only if its value is one.
    static let serviceKeys: Set<String> = ["general_configuration", "storage_configuration", "logs_configuration",
                                           "grpc_configuration", "active_connectors", "RemoteLoggingLevel", "mode", "deleted"]

    struct State: Sendable {
        var managed: [String: ManagedConnector] = [:]
        /// The last `active_connectors` the UI wrote (nil until one arrived in this run).
        var activeConnectors: Set<String>?
        /// What we published recently, to recognise our own messages when a plain broker echoes them.
        var published: [(value: JSONValue, at: ContinuousClock.Instant)] = []
        /// Values refused, by key: the same value again (the answer after each reconnect) is not
        /// tried, logged and counted once more.
        var refused: [String: JSONValue] = [:]
    }

    let setup: GatewaySetup
    let supervisor: ConnectorSupervisor
    let platform: PlatformLink
    let registry: DeviceRegistry
    let store: any UploadStore
    let statistics: GatewayStatistics
    let restart: RestartRequest
    let logger: Logger
    let factories: [String: any ConnectorFactory]
    let state: Mutex<State>
    private let work: AsyncStream<Work>
    private let workInput: AsyncStream<Work>.Continuation
    /// How long the platform has to answer an attribute request.
    let requestTimeout: Duration
    /// Told a connector's `enableRemoteLogging` when the UI adds, changes or removes it.
    /// A closure kept in a struct: one that is itself a lock's generic value is re-wrapped in
    /// thunks on every access (see ClosureBox).
    private let remoteLoggingHandler = Mutex(ClosureBox<(@Sendable (_ connector: String, _ enabled: Bool) -> Void)?>(nil))

    public init(setup: GatewaySetup, supervisor: ConnectorSupervisor, platform: PlatformLink, registry: DeviceRegistry,
                store: any UploadStore, statistics: GatewayStatistics, restart: RestartRequest, logger: Logger,
                requestTimeout: Duration = .seconds(10)) {
        self.setup = setup
        self.supervisor = supervisor
        self.platform = platform
        self.registry = registry
        self.store = store
        self.statistics = statistics
        self.restart = restart
        self.logger = logger
        self.requestTimeout = requestTimeout
        factories = Dictionary(setup.factories.map { ($0.type, $0) }, uniquingKeysWith: { first, _ in first })
        var initial = State()
        for entry in setup.config.connectors {
            let path = entry.configurationFile.path
            let json = (try? ConfigFileStore.readJSON(path).get()) ?? [:]
            initial.managed[entry.name] = ManagedConnector(
                name: entry.name, type: entry.type, configurationPath: entry.configurationPath, filePath: path,
                configurationJSON: json, enableRemoteLogging: entry.enableRemoteLogging)
        }
        state = Mutex(initial)
        (work, workInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(256))
        platform.onConnected { [workInput] in workInput.yield(.connected) }
        platform.onGatewayAttributes { [workInput] values in workInput.yield(.shared(values)) }
    }

    /// Applies what arrives, one message at a time, until cancelled.
    public func run() async {
        await withTaskCancellationHandler {
            for await item in work {
                switch item {
                case .connected: await connected()
                case .shared(let values): await applyShared(values, requested: false)
                }
            }
        } onCancel: {
            workInput.finish()
        }
    }

    /// Runs `handler` with a connector's `enableRemoteLogging` whenever the UI adds or changes the
    /// connector (and with false when it is removed): for remote logging's per-connector switch.
    public func onConnectorRemoteLogging(_ handler: @escaping @Sendable (_ connector: String, _ enabled: Bool) -> Void) {
        remoteLoggingHandler.withLock { $0.value = handler }
    }

    func connectorRemoteLogging(_ connector: String, enabled: Bool) {
        remoteLoggingHandler.withLock { $0.value }?(connector, enabled)
    }

    /// The names of the connectors remote configuration manages (config.json's list, as changed).
    public var connectorNames: [String] { state.withLock { $0.managed.keys.sorted() } }

    // MARK: - Connect

    /// With remote configuration off, only `Version` is published on every connect (the Python
    /// gateway publishes nothing then, and the UI takes the gateway for a legacy one).
    public static func publishVersionOnConnect(_ platform: PlatformLink, logger: Logger) {
        platform.onConnected {
            do {
                try await platform.publishGatewayAttributes(["Version": .string(RemoteClientAttributes.version)])
            } catch {
                logger.debug("could not publish the Version attribute: \(error)")
            }
        }
    }

    private func connected() async {
        await publishCurrentConfiguration()
        let answer: JSONValue
        do {
            answer = try await platform.requestGatewayAttributes(sharedKeys: Self.requestedKeys, timeout: requestTimeout)
        } catch {
            logger.warning("remote configuration: the shared attributes were not received: \(error)")
            return
        }
        await applyShared(answer["shared"]?.objectValue ?? [:], requested: true)
    }

    /// Publishes `Version`, `general_configuration`, `storage_configuration`, `logs_configuration`,
    /// `active_connectors`, then one attribute per connector.
    func publishCurrentConfiguration() async {
        let ts = UnixTime.nowMilliseconds
        let raw = try? ConfigFileStore.readJSON(setup.config.file.path).get()
        let managed = state.withLock { $0.managed }
        let summary: JSONValue = [
            "Version": .string(RemoteClientAttributes.version),
            "general_configuration": RemoteClientAttributes.generalConfiguration(rawConfig: raw, thingsboard: setup.config.thingsboard, ts: ts),
            "storage_configuration": RemoteClientAttributes.storageConfiguration(rawConfig: raw, storage: setup.config.storage, ts: ts),
            "logs_configuration": RemoteClientAttributes.logsConfiguration(level: setup.config.logLevel, ts: ts),
            "active_connectors": .array(managed.keys.sorted().map { .string($0) }),
        ]
        await publish(summary)
        for name in managed.keys.sorted() {
            await publish([name: RemoteClientAttributes.connector(managed[name]!, ts: ts)])
        }
    }

    /// Publishes client attributes of the gateway, remembering them for a few seconds so that a
    /// plain broker's echo of them is not taken for the UI's word.
    func publish(_ values: JSONValue) async {
        state.withLock { s in
            let now = ContinuousClock.now
            s.published.removeAll { now - $0.at > .seconds(10) }
            s.published.append((values, now))
        }
        do {
            try await platform.publishGatewayAttributes(values)
        } catch {
            logger.warning("remote configuration: could not publish the client attributes: \(error)")
        }
    }

    /// True (once) for a message we published ourselves a moment ago.
    private func isOwnEcho(_ values: [String: JSONValue]) -> Bool {
        state.withLock { s in
            let object = JSONValue.object(values)
            guard let index = s.published.firstIndex(where: { $0.value == object }) else { return false }
            s.published.remove(at: index)
            return true
        }
    }

    /// True when `value` of `key` was refused before (and remembers it when `refuse` is set).
    func wasRefused(_ key: String, _ value: JSONValue) -> Bool {
        state.withLock { $0.refused[key] == value }
    }

    func rememberRefused(_ key: String, _ value: JSONValue?) {
        state.withLock { $0.refused[key] = value }
    }

    // MARK: - Shared attributes

    /// Applies what the UI wrote: removals first (`deleted`, names dropped from
    /// `active_connectors`), then connectors added or changed, then the general configuration.
    func applyShared(_ values: [String: JSONValue], requested: Bool) async {
        if !requested, isOwnEcho(values) { return }
        for name in values["deleted"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !Self.serviceKeys.contains(name) {
            await removeConnector(name, reason: "its shared attribute was deleted (disabled or removed in the UI)")
        }
        var missing: [String] = []
        if let list = values["active_connectors"]?.unwrappingJSONString.arrayValue {
            let active = Set(list.compactMap(\.stringValue))
            let previous = state.withLock { s in
                defer { s.activeConnectors = active }
                return s.activeConnectors
            }
            for name in (previous ?? []).subtracting(active).sorted() {
                await removeConnector(name, reason: "it is no longer in active_connectors")
            }
            missing = active.subtracting(values.keys).sorted()
        }
        for key in values.keys.sorted() where !Self.serviceKeys.contains(key) {
            // A connector is an object with `configurationJson` (the UI always sends one); other keys
            // (the gateway's own statistics echoed by a plain broker, `mode`, ...) are not ours.
            guard let object = values[key]?.unwrappingJSONString.objectValue, object["configurationJson"] != nil else {
                continue
            }
            if wasRefused(key, .object(object)) {
                logger.debug("remote configuration of connector '\(key)': the same configuration as the one refused before; ignored")
                continue
            }
            await applyConnector(key: key, object: object)
        }
        if let general = values["general_configuration"]?.unwrappingJSONString.objectValue {
            if wasRefused("general_configuration", .object(general)) {
                logger.debug("remote configuration: the same general_configuration as the one refused before; ignored")
            } else {
                await applyGeneralConfiguration(general)
            }
        }
        for key in ["storage_configuration", "logs_configuration", "grpc_configuration"] where values[key] != nil {
            logger.debug("remote configuration: \(key) from the UI is not applied (see docs/remote-configuration.md)")
        }
        if !missing.isEmpty {
            do {
                let answer = try await platform.requestGatewayAttributes(sharedKeys: missing, timeout: requestTimeout)
                let connectors = (answer["shared"]?.objectValue ?? [:]).filter { missing.contains($0.key) }
                if !connectors.isEmpty { await applyShared(connectors, requested: true) }
            } catch {
                logger.warning("remote configuration: the connectors \(missing.joined(separator: ", ")) were not received: \(error)")
            }
        }
    }
}
