import FoundationEssentials
import IronbridgeMQTT
import Logging
#if canImport(Glibc)
import Glibc
#endif

extension GatewayConfig {
    /// Environment variables that override the connection settings, so that a container or a
    /// systemd unit needs no file edit. The Python gateway's names work too.
    public static let environmentOverrides: [(key: String, meaning: String)] = [
        ("IRONBRIDGE_HOST", "thingsboard.host (also TB_GW_HOST)"),
        ("IRONBRIDGE_PORT", "thingsboard.port (also TB_GW_PORT)"),
        ("IRONBRIDGE_ACCESS_TOKEN", "thingsboard.security.accessToken (also TB_GW_ACCESS_TOKEN)"),
    ]

    /// Reads config.json, recording every problem in `diagnostics`. Returns nil when there are errors.
    /// `knownConnectorTypes` are the connector types this build can run.
    public static func load(
        file: URL, knownConnectorTypes: Set<String>, environment: [String: String] = ProcessInfo.processInfo.environment,
        diagnostics: ConfigDiagnostics
    ) -> GatewayConfig? {
        let root = ConfigNode.load(file: file, displayName: file.lastPathComponent == file.path ? file.path : file.relativePathForMessages, diagnostics: diagnostics)
        guard root.exists else { return nil }
        guard root.value?.objectValue != nil else {
            root.error("expected an object at the top level, found \(root.value!.kindName)")
            return nil
        }
        root.checkKeys(
            known: ["thingsboard", "storage", "connectors", "logLevel", "dataFolder"],
            ignored: ["grpc": "gRPC connectors are not supported", "logs": "logging is set with logLevel or --log-level"])

        let thingsboard = loadThingsBoard(root["thingsboard"], environment: environment)
        let connectors = loadConnectors(root["connectors"], folder: file.deletingLastPathComponent(), knownTypes: knownConnectorTypes)
        let level = root["logLevel"].oneOf(["trace", "debug", "info", "notice", "warning", "error", "critical"], default: "info")!
        let dataFolderPath = root["dataFolder"].string(default: "data")
        let dataFolder = URL(fileURLWithPath: dataFolderPath, relativeTo: file.deletingLastPathComponent()).standardizedFileURL
        var info = stat()
        if stat(dataFolder.path, &info) == 0, info.st_mode & S_IFMT != S_IFDIR {
            root["dataFolder"].error("\(dataFolder.path) is a file, not a folder; the gateway keeps its device registry and storage there")
        }
        let storage = loadStorage(root["storage"], configFolder: file.deletingLastPathComponent(), dataFolder: dataFolder)
        let activity = root["thingsboard"]["checkingDeviceActivity"]
        activity.checkKeys(known: ["checkDeviceInactivity", "inactivityTimeoutSeconds", "inactivityCheckPeriodSeconds"])
        let checkActivity = activity["checkDeviceInactivity"].bool(default: false)
        let inactivityTimeout = activity["inactivityTimeoutSeconds"].double(default: 120, in: 1...604_800)
        let checkPeriod = activity["inactivityCheckPeriodSeconds"].double(default: 10, in: 0.05...86_400)
        let ui = loadUI(root["thingsboard"], environment: environment)
        guard let thingsboard, !diagnostics.hasErrors else { return nil }
        var config = GatewayConfig(
            file: file, thingsboard: thingsboard, storage: storage, connectors: connectors,
            logLevel: Logger.Level(rawValue: level) ?? .info, dataFolder: dataFolder,
            reportStrategy: root["thingsboard"]["reportStrategy"].value,
            inactivityTimeout: checkActivity ? .milliseconds(Int(inactivityTimeout * 1000)) : nil,
            inactivityCheckPeriod: .milliseconds(Int(checkPeriod * 1000)))
        config.ui = ui
        return config
    }

    static func loadThingsBoard(_ node: ConfigNode, environment: [String: String]) -> ThingsBoardConfig? {
        guard node.exists else {
            node.error("is required: the ThingsBoard connection (host, port, security)")
            return nil
        }
        node.checkKeys(
            known: (["host", "port", "qos", "keep_alive", "keepAlive", "security", "protocolVersion", "rpcTimeoutMs",
                    "sessionLimitsTimeoutMs", "maxPayloadSizeBytes", "maxInflightMessages", "refusedRetryDelaySeconds",
                    "maxIncomingMessageBytes", "maxPendingRpcs", "maxPendingRpcsPerDevice",
                    "reconnectMaxSeconds", "clientId", "reportStrategy", "checkingDeviceActivity",
                    "remoteConfiguration", "remoteConfigurationConfirmSeconds", "minPackSendDelayMS"] as Set<String>).union(uiKeys),
            ignored: [
                "remoteShell": "no remote shell",
                "deviceFiltering": "not supported",
                "minPackSizeToSend": "batches are sized by the server's payload limit",
                "checkConnectorsConfigurationInSeconds": "configuration is read at start",
                "handleDeviceRenaming": "renames are always handled",
"latencyDebugMode": "not supported", "rateLimits": "the server's session limits are used",
                "dpRateLimits": "the server's session limits are used",
            ])
        let host = environment["IRONBRIDGE_HOST"] ?? environment["TB_GW_HOST"] ?? node["host"].requiredString()
        let envPort = environment["IRONBRIDGE_PORT"] ?? environment["TB_GW_PORT"]
        var port = node["port"].int(default: 1883, in: 1...65535)
        if let envPort {
            if let parsed = Int(envPort), (1...65535).contains(parsed) {
                port = parsed
            } else {
                node["port"].error("the environment variable IRONBRIDGE_PORT/TB_GW_PORT holds '\(envPort)', expected a port from 1 to 65535")
            }
        }
        let keepAlive = node["keep_alive"].exists ? node["keep_alive"].int(default: 60, in: 1...65535) : node["keepAlive"].int(default: 60, in: 1...65535)
        let qos = node["qos"].int(default: 1, in: 0...1)
        let envToken = environment["IRONBRIDGE_ACCESS_TOKEN"] ?? environment["TB_GW_ACCESS_TOKEN"]
        var (security, insecure) = (ThingsBoardConfig.Security?.none, false)
        if !node["security"].exists, envToken == nil, node["provisioning"].exists || environment["TB_GW_PROVISIONING_DEVICE_KEY"] != nil {
            // Replaced at start by the saved provisioned credentials, or by provisioning (GatewaySetup.provisionIfNeeded).
            security = .accessToken("")
        } else {
            (security, insecure) = loadSecurity(node["security"], tokenOverride: envToken)
        }
        let version = node["protocolVersion"].oneOf(["3.1.1", "5"], default: "5")!
        guard let host, let security else { return nil }
        var config = ThingsBoardConfig(
            host: host, port: port, qos: qos, keepAliveSeconds: keepAlive, security: security, tlsInsecure: insecure,
            protocolVersion: version == "5" ? .v5 : .v311,
            rpcTimeoutMs: node["rpcTimeoutMs"].int(default: 5000, in: 50...600_000),
            sessionLimitsTimeoutMs: node["sessionLimitsTimeoutMs"].int(default: 5000, in: 100...120_000),
            maxPayloadSizeBytes: node["maxPayloadSizeBytes"].int(default: 65536, in: 256...268_435_455),
            maxInflightMessages: node["maxInflightMessages"].int(default: 100, in: 1...65535),
            refusedRetryDelaySeconds: node["refusedRetryDelaySeconds"].double(default: 60, in: 0.1...86400),
            reconnectMaxSeconds: node["reconnectMaxSeconds"].double(default: 60, in: 1...3600),
            clientID: node["clientId"].optionalString(),
            maxIncomingMessageBytes: node["maxIncomingMessageBytes"].int(default: 1 << 20, in: 1024...268_435_455),
            maxPendingRPCs: node["maxPendingRpcs"].int(default: 512, in: 1...100_000),
            maxPendingRPCsPerDevice: node["maxPendingRpcsPerDevice"].int(default: 32, in: 1...100_000),
            remoteConfiguration: node["remoteConfiguration"].bool(default: false),
            remoteConfigurationConfirmSeconds: node["remoteConfigurationConfirmSeconds"].double(default: 60, in: 5...3600))
        config.minPackSendDelayMs = node["minPackSendDelayMS"].int(default: 50, in: 0...10_000)
        return config
    }

    static func loadSecurity(_ node: ConfigNode, tokenOverride: String?) -> (ThingsBoardConfig.Security?, Bool) {
        guard node.exists else {
            if let tokenOverride { return (.accessToken(tokenOverride), false) }
            node.error("is required: {\"type\": \"accessToken\", \"accessToken\": \"...\"} or another security type")
            return (nil, false)
        }
        let type = node["type"].oneOf(["accessToken", "usernamePassword", "tlsAccessToken", "x509Certificate", "tlsPrivateKey"], default: "accessToken")!
        let insecure = node["insecure"].bool(default: false)
        switch type {
        case "accessToken":
            node.checkKeys(known: ["type", "accessToken"])
            guard let token = tokenOverride ?? node["accessToken"].requiredString() else { return (nil, insecure) }
            return (.accessToken(token), insecure)
        case "usernamePassword":
            node.checkKeys(known: ["type", "clientId", "username", "password"])
            let clientID = node["clientId"].optionalString()
            let username = node["username"].optionalString()
            let password = node["password"].optionalString()
            if clientID == nil && username == nil {
                node.error("usernamePassword needs at least a clientId or a username")
                return (nil, insecure)
            }
            return (.usernamePassword(clientID: clientID, username: username, password: password), insecure)
        case "tlsAccessToken":
            node.checkKeys(known: ["type", "accessToken", "caCert", "insecure"])
            guard let token = tokenOverride ?? node["accessToken"].requiredString() else { return (nil, insecure) }
            return (.tlsAccessToken(token, caFile: checkedFile(node["caCert"], required: false)), insecure)
        default: // x509Certificate, or the Python gateway's name for it, tlsPrivateKey
            node.checkKeys(known: ["type", "caCert", "cert", "privateKey", "insecure"])
            let ca = checkedFile(node["caCert"], required: false)
            let cert = checkedFile(node["cert"], required: true)
            let key = checkedFile(node["privateKey"], required: true)
            guard let cert, let key else { return (nil, insecure) }
            return (.x509Certificate(caFile: ca, certFile: cert, keyFile: key), insecure)
        }
    }

    private static func checkedFile(_ node: ConfigNode, required: Bool) -> String? {
        let path = required ? node.requiredString() : node.optionalString()
        guard let path else { return nil }
        if !FileManager.default.isReadableFile(atPath: path) {
            node.error("the file '\(path)' does not exist or cannot be read")
            return nil
        }
        return path
    }

    /// The `storage` section: the Python gateway's keys for its memory, file and sqlite
    /// storages, plus ours for what they lack. Every key is documented in README.md.
    static func loadStorage(_ node: ConfigNode, configFolder: URL, dataFolder: URL) -> StorageConfig {
        node.checkKeys(
            known: ["type", "read_records_count", "max_read_records_count", "max_records_count", "data_folder_path", "data_file_path",
                    "max_file_count", "max_records_per_file", "size_limit", "max_db_amount", "messages_ttl_in_days",
                    "messages_ttl_check_in_hours", "fsync_interval_ms", "max_disk_mb", "max_file_mb", "min_free_disk_mb",
                    "memory_fallback_records"],
            ignored: ["oversize_check_period": "sizes are checked at every write",
                      "writing_batch_size": "each poll's records are written in one write"])
        let kindName = node["type"].oneOf(["memory", "file", "sqlite"], default: "file")!
        let kind = StorageConfig.Kind(rawValue: kindName) ?? .file
        let readKey = node["max_read_records_count"].exists ? "max_read_records_count" : "read_records_count"
        let readRecords = node[readKey].int(default: 1000, in: 1...1_000_000)
        if kind == .memory {
            return .memory(maxRecords: node["max_records_count"].int(default: 100_000, in: 1...100_000_000), readRecords: readRecords)
        }

        let folder: String
        if kind == .sqlite, let path = node["data_file_path"].optionalString() {
            // The Python gateway's data_file_path names a database file or a folder: the journal lives in that folder.
            let url = URL(fileURLWithPath: path, relativeTo: configFolder).standardizedFileURL
            folder = path.hasSuffix("/") || !url.lastPathComponent.contains(".") ? url.path : url.deletingLastPathComponent().path
        } else if let path = node["data_folder_path"].optionalString() {
            folder = URL(fileURLWithPath: path, relativeTo: configFolder).standardizedFileURL.path
        } else {
            folder = dataFolder.appendingPathComponent("storage").path
        }
        let perFile = node["max_records_per_file"].int(default: 10_000, in: 1...10_000_000)
        let fileCount = node["max_file_count"].int(default: 10, in: 1...100_000)
        let defaultRecords = kind == .file ? fileCount * perFile : 10_000_000
        let maxRecords = node["max_records_count"].int(default: defaultRecords, in: 1...1_000_000_000)
        var maxMB = node["max_disk_mb"].int(default: 1024, in: 1...16_777_216)
        if !node["max_disk_mb"].exists, node["size_limit"].exists || node["max_db_amount"].exists {
            maxMB = node["size_limit"].int(default: 1024, in: 1...1_048_576) * node["max_db_amount"].int(default: 10, in: 1...100_000)
        }
        let ttlDays = node["messages_ttl_in_days"].double(default: 7, in: 0...36_500)
        let ttlCheckHours = node["messages_ttl_check_in_hours"].double(default: 1, in: 0.001...8_760)
        let fsyncMs = node["fsync_interval_ms"].int(default: 1000, in: 0...60_000)
        let fileMB = node["max_file_mb"].int(default: 8, in: 1...1024)
        return StorageConfig(
            kind: kind, readRecordsCount: readRecords, maxRecordsCount: maxRecords, folder: folder,
            maxBytes: maxMB << 20, ttl: ttlDays > 0 ? .milliseconds(Int64(ttlDays * 86_400_000)) : nil,
            ttlCheckPeriod: .milliseconds(Int64(ttlCheckHours * 3_600_000)), fsyncInterval: .milliseconds(fsyncMs),
            // Small enough that dropping the oldest file when full drops an eighth of the records, not all of them.
            maxRecordsPerFile: max(1, min(perFile, maxRecords / 8)), maxFileBytes: min(fileMB << 20, max(64 << 10, (maxMB << 20) / 8)),
            minFreeBytes: node["min_free_disk_mb"].int(default: 64, in: 0...1_048_576) << 20,
            memoryFallbackRecords: node["memory_fallback_records"].int(default: 100_000, in: 1...100_000_000))
    }

    static func loadConnectors(_ node: ConfigNode, folder: URL, knownTypes: Set<String>) -> [ConnectorEntry] {
        var entries: [ConnectorEntry] = []
        var names: Set<String> = []
        for entry in node.arrayElements() {
            entry.checkKeys(
                known: ["type", "name", "configuration", "enableRemoteLogging"],
                ignored: ["logLevel": "one log level for the gateway: logLevel at the top of config.json",
                          "useGRPC": "gRPC connectors are not supported", "class": "custom connector classes are not supported",
                          "id": "connectors are identified by name", "configurationJson": "the configuration is read from the file named in configuration"])
            let type = entry["type"].requiredString()
            let name = entry["name"].requiredString()
            let configuration = entry["configuration"].requiredString()
            if let type, !knownTypes.contains(type) {
                entry["type"].error("unknown connector type '\(type)'; this build knows: \(knownTypes.sorted().joined(separator: ", "))")
                continue
            }
            if let name {
                if names.contains(name) { entry["name"].error("the connector name '\(name)' is used twice") }
                names.insert(name)
            }
            guard let type, let name, let configuration else { continue }
            entries.append(ConnectorEntry(
                type: type, name: name, configurationPath: configuration,
                configurationFile: URL(fileURLWithPath: configuration, relativeTo: folder).standardizedFileURL,
                entryPath: entry.path, enableRemoteLogging: entry["enableRemoteLogging"].bool(default: false)))
        }
        return entries
    }
}

extension URL {
    /// The path as the user is likely to recognise it: relative to the working directory when inside it.
    var relativePathForMessages: String {
        let cwd = FileManager.default.currentDirectoryPath
        let full = standardizedFileURL.path
        if full.hasPrefix(cwd + "/") { return String(full.dropFirst(cwd.count + 1)) }
        return full
    }
}
