import Logging

/// The client attributes ThingsBoard's gateway UI reads (thingsboard-gateway-ui.md §1.1, §1.4):
/// built from config.json as it is on disk, never with a secret in them.
enum RemoteClientAttributes {
    /// What the UI compares with 3.5.2 and 3.6 to choose the connector forms: the Python
    /// gateway's version whose protocol we speak (§1.8), not our own product version.
    static let version = "3.8.5"

    /// Keys under `thingsboard.security` and `thingsboard.provisioning` never published.
    static let secretKeys: Set<String> = [
        "accessToken", "access_token", "password", "privateKey", "provisionDeviceSecret", "provisionDeviceKey",
    ]

    /// `general_configuration`: config.json's `thingsboard` section with the connection in
    /// effect (environment overrides applied) and every secret removed.
    static func generalConfiguration(rawConfig: JSONValue?, thingsboard: ThingsBoardConfig, ts: Int64) -> JSONValue {
        var section = rawConfig?["thingsboard"]?.objectValue ?? [:]
        section["host"] = .string(thingsboard.host)
        section["port"] = .int(Int64(thingsboard.port))
        section["qos"] = .int(Int64(thingsboard.qos))
        section["remoteConfiguration"] = .bool(true)
        for key in ["security", "provisioning"] {
            guard var block = section[key]?.objectValue else { continue }
            for secret in secretKeys { block.removeValue(forKey: secret) }
            section[key] = .object(block)
        }
        if section["security"] == nil {
            section["security"] = ["type": .string(thingsboard.securityName)]
        }
        section["ts"] = .int(ts)
        return .object(section)
    }

    /// `storage_configuration`: config.json's `storage` section (as written) with `ts`.
    static func storageConfiguration(rawConfig: JSONValue?, storage: StorageConfig, ts: Int64) -> JSONValue {
        var section = rawConfig?["storage"]?.objectValue ?? [:]
        if section["type"] == nil { section["type"] = .string(storage.kind.rawValue) }
        section["ts"] = .int(ts)
        return .object(section)
    }

    /// `logs_configuration`: a Python logging dictConfig of the shape the UI's dialog dereferences
    /// (`formatters.LogFormatter.format`/`datefmt`, one logger per pane), at the gateway's log level.
    static func logsConfiguration(level: Logger.Level, ts: Int64) -> JSONValue {
        let name: String = switch level {
        case .trace, .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
        var loggers: [String: JSONValue] = [:]
        for pane in ["service", "connector", "converter", "tb_connection", "storage", "extension"] {
            loggers[pane] = ["handlers": ["consoleHandler"], "level": .string(name), "propagate": false]
        }
        return [
            "version": 1, "disable_existing_loggers": false,
            "formatters": ["LogFormatter": [
                "class": "logging.Formatter",
                "format": "%(asctime)s - |%(levelname)s| - [%(filename)s] - %(module)s - %(funcName)s - %(lineno)d - %(message)s",
                "datefmt": "%Y-%m-%d %H:%M:%S",
            ]],
            "handlers": ["consoleHandler": ["class": "logging.StreamHandler", "formatter": "LogFormatter", "level": 0, "stream": "ext://sys.stdout"]],
            "loggers": .object(loggers),
            "root": ["level": .string(name), "handlers": ["consoleHandler"]],
            "ts": .int(ts),
        ]
    }

    /// One connector as the UI shows it (§1.4, "Startup echo of local connectors").
    static func connector(_ managed: ManagedConnector, ts: Int64) -> JSONValue {
        var configuration = managed.configurationJSON.objectValue ?? [:]
        let logLevel = configuration.removeValue(forKey: "logLevel") ?? "INFO"
        let remoteLogging = configuration.removeValue(forKey: "enableRemoteLogging") ?? .bool(managed.enableRemoteLogging)
        let configVersion = configuration.removeValue(forKey: "configVersion") ?? .string(version)
        var object: [String: JSONValue] = [
            "name": .string(managed.name), "type": .string(managed.type), "configuration": .string(managed.configurationPath),
            "logLevel": logLevel, "enableRemoteLogging": remoteLogging, "configVersion": configVersion,
            "configurationJson": .object(configuration), "ts": .int(ts),
        ]
        if let id = configuration["id"] { object["id"] = id }
        if let strategy = configuration["reportStrategy"] { object["reportStrategy"] = strategy }
        return .object(object)
    }
}

/// A connector as remote configuration knows it: what config.json says and its file's JSON.
struct ManagedConnector: Sendable {
    var name: String
    var type: String
    /// As written in config.json's `configuration` (relative to config.json's folder).
    var configurationPath: String
    /// The file, resolved.
    var filePath: String
    var configurationJSON: JSONValue
    var enableRemoteLogging: Bool
}
