import FoundationEssentials
import Logging

/// The product version reported by `gateway_version` and `ironbridge --version`.
public enum IronbridgeVersion {
    public static let current = "0.1.0"
}

/// config.json and every connector file, read and validated: what both `run` and `check` start from.
public struct GatewaySetup: Sendable {
    public var config: GatewayConfig
    public var connectors: [any Connector]
    public var diagnostics: [ConfigDiagnostic]
    /// The connector types this build can run (what remote configuration builds new connectors with).
    public var factories: [any ConnectorFactory] = []

    /// Loads everything, collecting every problem. Throws a ``ConfigError`` listing all errors.
    public static func load(
        configFile: URL, factories: [any ConnectorFactory], environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger
    ) throws(ConfigError) -> GatewaySetup {
        let diagnostics = ConfigDiagnostics()
        let byType = Dictionary(factories.map { ($0.type, $0) }, uniquingKeysWith: { first, _ in first })
        guard let config = GatewayConfig.load(file: configFile, knownConnectorTypes: Set(byType.keys), environment: environment, diagnostics: diagnostics) else {
            throw ConfigError(diagnostics.all)
        }
        var connectors: [any Connector] = []
        var owners: [String: String] = [:]
        for entry in config.connectors {
            let node = ConfigNode.load(file: entry.configurationFile, displayName: entry.configurationFile.relativePathForMessages, diagnostics: diagnostics)
            guard node.exists, let factory = byType[entry.type] else { continue }
            var connectorLogger = logger
            connectorLogger[metadataKey: "connector"] = .string(entry.name)
            guard let connector = factory.makeConnector(name: entry.name, configuration: node, gateway: config, logger: connectorLogger) else { continue }
            for device in connector.devices {
                if let owner = owners[device.name] {
                    node.error("the device name '\(device.name)' is already used by connector '\(owner)'; device names must be unique")
                }
                owners[device.name] = entry.name
            }
            connectors.append(connector)
        }
        checkMessageTargets(connectors, diagnostics: diagnostics)
        if diagnostics.hasErrors { throw ConfigError(diagnostics.all) }
        return GatewaySetup(config: config, connectors: connectors, diagnostics: diagnostics.all, factories: factories)
    }

    /// The summary `ironbridge check` prints: connection, storage, then every connector's devices.
    public var report: String {
        var lines: [String] = []
        let tb = config.thingsboard
        lines.append("config: \(config.file.relativePathForMessages)")
        lines.append("ThingsBoard: \(tb.host):\(tb.port), MQTT \(tb.protocolVersion.rawValue), QoS \(tb.qos), security \(tb.securityName), RPC deadline \(tb.rpcTimeoutMs) ms")
        lines.append(config.storage.summary)
        lines.append("data folder: \(config.dataFolder.path)")
        for connector in connectors {
            lines.append("connector '\(connector.name)' (\(connector.type)): \(connector.devices.count) device(s)")
            for device in connector.summary.devices {
                lines.append("  device '\(device.name)' (type \(device.type))")
                lines.append("    telemetry: \(device.telemetryKeys.isEmpty ? "-" : device.telemetryKeys.joined(separator: ", "))")
                lines.append("    attributes: \(device.attributeKeys.isEmpty ? "-" : device.attributeKeys.joined(separator: ", "))")
                lines.append("    RPC methods: \(device.rpcMethods.isEmpty ? "-" : device.rpcMethods.joined(separator: ", "))")
                for detail in device.details { lines.append("    \(detail)") }
                for rule in connector.messageRules where rule.device == device.name { lines.append("    \(rule.summary)") }
            }
        }
        for warning in diagnostics where warning.severity == .warning { lines.append(warning.description) }
        return lines.joined(separator: "\n")
    }
}

extension GatewaySetup {
    /// A message whose local target sends messages itself could start a chain: refused, so that a
    /// delivered message can never trigger another (docs/messages.md).
    static func checkMessageTargets(_ connectors: [any Connector], diagnostics: ConfigDiagnostics) {
        let rules = connectors.flatMap(\.messageRules)
        let senders = Set(rules.map(\.device))
        let devices = Set(connectors.flatMap { $0.devices.map(\.name) })
        for rule in rules where devices.contains(rule.target) && senders.contains(rule.target) {
            diagnostics.add(ConfigDiagnostic(severity: .error, file: rule.file, path: rule.path + ".target",
                                             message: "'\(rule.target)' is a device of this gateway that sends messages itself; it cannot receive one (a message must never cause another)"))
        }
    }
}

extension ThingsBoardConfig {
    var securityName: String {
        switch security {
        case .accessToken: "accessToken"
        case .usernamePassword: "usernamePassword"
        case .tlsAccessToken: "tlsAccessToken"
        case .x509Certificate: "x509Certificate"
        }
    }
}
