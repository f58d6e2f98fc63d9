import IronbridgeCore
import IronbridgeModbus

/// Reads a Modbus connector file in the Python gateway's format: 3.x `master.slaves[]`,
/// or 2.x `server.devices[]` (one connection shared by its devices). Every problem is
/// recorded in the node's diagnostics with file and JSON path.
struct ModbusConfigReader {
    static let rootKeys: Set<String> = ["name", "master", "server", "slave", "reportStrategy", "logLevel", "id",
                                        "configVersion", "enableRemoteLogging", "allowedWrites"]
    static let slaveKeys: Set<String> = [
        "deviceName", "name", "deviceType", "type", "host", "port", "method", "unitId", "pollPeriod", "timeout",
        "byteOrder", "wordOrder", "retries", "connectAttemptTimeMs", "connectAttemptCount", "connectionAttempt",
        "waitAfterFailedAttemptsMs", "delayBetweenRequestsMs", "reportStrategy", "sendDataOnlyOnChange",
        "attributes", "timeseries", "attributeUpdates", "rpc", "baudrate", "bytesize", "parity", "stopbits",
        "maxRegistersPerRequest", "maxBitsPerRequest", "maxRegisterGap", "maxBitGap", "tls", "security", "allowedWrites",
    ]
    /// Keys of the Python gateway that change nothing we do, reported as warnings.
    static let ignoredSlaveKeys: [String: String] = [
        "retryOnEmpty": "libmodbus reports an empty reply as a timeout, which `retries` covers",
        "retryOnInvalid": "an invalid reply is retried like a timeout (see `retries`)",
        "strict": "libmodbus always times serial frames itself",
        "repack": "byteOrder and wordOrder apply to every value",
        "handleLocalEcho": "local echo cancellation is not supported by libmodbus",
        "identity": "only used when the gateway acts as a Modbus slave",
        "sendDataToThingsBoard": "only used when the gateway acts as a Modbus slave",
    ]

    let connectorStrategy: ModbusReportStrategy
    /// The connector file's `allowedWrites`, for devices without their own.
    var connectorWrites: ModbusWritePolicy? = nil

    /// The devices, or nil when the file has errors (all recorded).
    static func read(_ root: ConfigNode, gatewayStrategy: ModbusReportStrategy) -> [ModbusDeviceConfig]? {
        readAll(root, gatewayStrategy: gatewayStrategy)?.devices
    }

    /// The devices (the gateway's own slave included when it is polled) and the `slave`
    /// section, or nil when the file has errors (all recorded).
    static func readAll(_ root: ConfigNode, gatewayStrategy: ModbusReportStrategy) -> (devices: [ModbusDeviceConfig], slave: ModbusSlaveSection?)? {
        let errorsBefore = root.diagnostics.errors.count
        guard root.value?.objectValue != nil else {
            root.error("expected an object with a 'master' section")
            return nil
        }
        root.checkKeys(known: rootKeys)
        let strategy = ModbusReportStrategy.read(root["reportStrategy"]) ?? gatewayStrategy
        let reader = ModbusConfigReader(connectorStrategy: strategy, connectorWrites: ModbusWritePolicy.read(root["allowedWrites"]))
        var devices: [(config: ModbusDeviceConfig, node: ConfigNode)] = []
        if root["master"].exists {
            root["master"].checkKeys(known: ["slaves"])
            for node in root["master"]["slaves"].arrayElements(required: true) {
                if let device = reader.readSlave(node, shared: nil) { devices.append((device, node)) }
            }
        } else if root["server"].exists {
            let server = root["server"]
            let deviceKeys = Set(["devices", "unitId", "deviceName", "attributesPollPeriod", "timeseriesPollPeriod"])
            server.checkKeys(known: slaveKeys.union(deviceKeys), ignored: ignoredSlaveKeys)
            for node in server["devices"].arrayElements(required: true) {
                if let device = reader.readSlave(node, shared: server) { devices.append((device, node)) }
            }
        } else if !root["slave"].exists {
            root.error("has neither 'master' (3.x: master.slaves[]) nor 'server' (2.x: server.devices[])")
        }
        let slave = ModbusSlaveSection.read(root["slave"], reader: reader)
        if let device = slave?.device { devices.append((device, root["slave"])) }
        checkUniqueNames(devices)
        return root.diagnostics.errors.count == errorsBefore ? (devices.map(\.config), slave) : nil
    }

    /// A name used twice is reported at the second slave, naming where the first one is.
    private static func checkUniqueNames(_ devices: [(config: ModbusDeviceConfig, node: ConfigNode)]) {
        var seen: [String: String] = [:]
        for (device, node) in devices {
            if let first = seen[device.name] {
                node["deviceName"].error("the device name '\(device.name)' is already used by the slave at \(first); device names must be unique")
            } else {
                seen[device.name] = node.path
            }
        }
    }

    /// One slave. For 2.x, `shared` is the `server` node that holds the connection settings.
    func readSlave(_ node: ConfigNode, shared: ConfigNode?) -> ModbusDeviceConfig? {
        guard node.value?.objectValue != nil else {
            node.error("expected an object describing a slave, found \(node.value?.kindName ?? "nothing")")
            return nil
        }
        let errorsBefore = node.diagnostics.errors.count
        if shared == nil {
            node.checkKeys(known: Self.slaveKeys, ignored: Self.ignoredSlaveKeys)
        } else {
            node.checkKeys(known: Self.slaveKeys.union(["attributesPollPeriod", "timeseriesPollPeriod"]), ignored: Self.ignoredSlaveKeys)
        }
        // A setting comes from the slave, else (2.x) from the server section.
        func setting(_ key: String) -> ConfigNode {
            if node[key].exists || shared == nil { return node[key] }
            return shared![key]
        }
        let name = (node["deviceName"].exists || !node["name"].exists) ? node["deviceName"].requiredString() : node["name"].requiredString()
        let deviceType = node["deviceType"].string(default: "default")
        let endpoint = readEndpoint(setting)
        let unitId = setting("unitId").int(default: shared == nil ? 1 : 1, in: 0...255)
        var pollPeriod = node["pollPeriod"].int(default: 5000, in: 1...86_400_000)
        if shared != nil, !node["pollPeriod"].exists {
            let periods = [node["attributesPollPeriod"], node["timeseriesPollPeriod"]].compactMap { $0.optionalInt(in: 1...86_400_000) }
            if let shortest = periods.min() { pollPeriod = Int(shortest) }
        }
        let timeoutSeconds = setting("timeout").double(default: 35, in: 0.001...3600)
        let byteOrder = setting("byteOrder").oneOf(["BIG", "LITTLE"], default: "LITTLE").flatMap(ModbusByteOrder.init(rawValue:)) ?? .little
        let wordOrder = setting("wordOrder").oneOf(["BIG", "LITTLE"], default: "LITTLE").flatMap(ModbusWordOrder.init(rawValue:)) ?? .little
        var policy = ModbusRetryPolicy()
        policy.retries = readRetries(setting("retries"))
        policy.connectAttemptTimeMs = setting("connectAttemptTimeMs").int(default: 500, in: 0...86_400_000)
        let attemptKey = node["connectionAttempt"].exists && !node["connectAttemptCount"].exists ? "connectionAttempt" : "connectAttemptCount"
        policy.connectAttemptCount = setting(attemptKey).int(default: 5, in: 1...1_000_000)
        policy.waitAfterFailedAttemptsMs = setting("waitAfterFailedAttemptsMs").int(default: 300_000, in: 0...86_400_000)
        let delay = setting("delayBetweenRequestsMs").int(default: 0, in: 0...60_000)
        let planner = ModbusReadPlanner(
            maxRegistersPerRequest: node["maxRegistersPerRequest"].int(default: 125, in: 1...125),
            maxBitsPerRequest: node["maxBitsPerRequest"].int(default: 2000, in: 1...2000),
            maxRegisterGap: node["maxRegisterGap"].int(default: 8, in: 0...125),
            maxBitGap: node["maxBitGap"].int(default: 32, in: 0...2000))
        var strategy = ModbusReportStrategy.read(node["reportStrategy"]) ?? connectorStrategy
        if !node["reportStrategy"].exists, setting("sendDataOnlyOnChange").bool(default: false) {
            strategy = ModbusReportStrategy(kind: .onChange)
        }
        var keys = ModbusKeyReader(byteOrder: byteOrder, wordOrder: wordOrder, reportStrategy: strategy)
        keys.deviceName = name ?? ""
        let attributes = readKeys(node["attributes"], role: .attribute, keys)
        let timeseries = readKeys(node["timeseries"], role: .timeseries, keys)
        let updates = readKeys(node["attributeUpdates"], role: .attributeUpdate, keys)
        let rpc = readRPCKeys(node["rpc"], keys)
        var writePolicy = ModbusWritePolicy.read(setting("allowedWrites")) ?? connectorWrites ?? .configuredOnly
        for key in updates + rpc { writePolicy.include(key) }
        guard let name, let endpoint, node.diagnostics.errors.count == errorsBefore else { return nil }
        checkDuplicateTags(attributes + timeseries, node: node, what: "attributes/timeseries")
        checkDuplicateTags(rpc, node: node["rpc"], what: "rpc")
        let device = ModbusDeviceConfig(
            name: name, type: deviceType, endpoint: endpoint, unitId: unitId, pollPeriodMs: pollPeriod,
            timeoutMs: max(1, Int((timeoutSeconds * 1000).rounded())), byteOrder: byteOrder, wordOrder: wordOrder,
            delayBetweenRequestsMs: delay, policy: policy,
            planner: planner, reportStrategy: strategy, attributes: attributes, timeseries: timeseries,
            attributeUpdates: updates, rpc: rpc, writePolicy: writePolicy)
        do {
            _ = try device.readPlan()
        } catch {
            node.error("cannot plan the reads: \(error)")
            return nil
        }
        return device
    }

    private func checkDuplicateTags(_ keys: [ModbusKeyConfig], node: ConfigNode, what: String) {
        var seen = Set<String>()
        for key in keys where !seen.insert(key.tag).inserted {
            node.error("the tag '\(key.tag)' appears twice in \(what)")
        }
    }

    /// `retries`: a count, or (as in many Python gateway files) `true` = 3, `false` = 0.
    private func readRetries(_ node: ConfigNode) -> Int {
        if case .bool(let flag) = node.value { return flag ? 3 : 0 }
        return node.int(default: 3, in: 0...100)
    }

    private func readKeys(_ node: ConfigNode, role: ModbusKeyRole, _ reader: ModbusKeyReader) -> [ModbusKeyConfig] {
        // 2.x wrote some lists as objects keyed by tag: {"setValue": {...}}.
        if let members = node.value?.objectValue {
            return members.keys.sorted().compactMap { reader.read(node[$0], role: role, tag: $0) }
        }
        return node.arrayElements().compactMap { reader.read($0, role: role) }
    }

    /// RPC entries are only used when called: one we cannot read (an unknown type, say) is
    /// left out with a warning, as the Python gateway only fails when it is called.
    private func readRPCKeys(_ node: ConfigNode, _ reader: ModbusKeyReader) -> [ModbusKeyConfig] {
        let entries: [(node: ConfigNode, tag: String?)]
        if let members = node.value?.objectValue {
            entries = members.keys.sorted().map { (node[$0], $0) }
        } else {
            entries = node.arrayElements().map { ($0, nil) }
        }
        return entries.compactMap { entry in
            let own = ConfigDiagnostics()
            let isolated = ConfigNode(value: entry.node.value, path: entry.node.path, file: entry.node.file, diagnostics: own)
            let key = reader.read(isolated, role: .rpc, tag: entry.tag)
            let failed = own.hasErrors || key == nil
            for diagnostic in own.all {
                let message = diagnostic.severity == .error
                    ? "\(diagnostic.message); this RPC method is left out (calling it is answered with an error)"
                    : diagnostic.message
                node.diagnostics.add(ConfigDiagnostic(severity: .warning, file: diagnostic.file, path: diagnostic.path, message: message))
            }
            return failed ? nil : key
        }
    }

    private func readEndpoint(_ setting: (String) -> ConfigNode) -> ModbusEndpoint? {
        let serialPort = setting("port").value?.stringValue.map { !$0.allSatisfy(\.isNumber) } ?? false
        let type = setting("type").oneOf(["tcp", "udp", "serial", "tls"], default: serialPort ? "serial" : "tcp")
        switch type {
        case "serial":
            let method = setting("method").oneOf(["rtu", "ascii"], default: "rtu")
            guard let device = setting("port").requiredString() else { return nil }
            let settings = ModbusSerialSettings(
                device: device,
                baudRate: setting("baudrate").int(default: 19200, in: 1...4_000_000),
                parity: setting("parity").oneOf(["N", "E", "O"], default: "N").flatMap(ModbusParity.init(rawValue:)) ?? .none,
                dataBits: setting("bytesize").int(default: 8, in: 5...8),
                stopBits: setting("stopbits").int(default: 1, in: 1...2))
            // ASCII framing is ours (libmodbus has RTU only), on the same serial port settings.
            return method == "ascii" ? .ascii(settings) : .rtu(settings)
        case "udp":
            setting("type").error("Modbus over UDP is not supported by libmodbus; use \"tcp\" or \"serial\"")
            return nil
        default:
            let method = setting("method").oneOf(["socket", "rtu", "tls"], default: "socket")
            if method == "rtu" {
                setting("method").error("RTU framing over TCP is not supported by libmodbus; use \"socket\"")
                return nil
            }
            // TLS (MBAP frames in a TLS stream) for `type` or `method` "tls", or a non-empty
            // `tls` object (the Python gateway's certfile/keyfile/password, our cafile/verify).
            let tlsObject = setting("tls").value?.objectValue.map { !$0.isEmpty } ?? setting("tls").exists
            // ThingsBoard's gateway UI writes a master's TLS settings as `security` {certfile, keyfile,
            // password, server_hostname}; the Python gateway reads only `tls` there and so talks plain
            // TCP. We take a non-empty `security` as the TLS settings when there is no `tls` object.
            let uiSecurity = !tlsObject && (setting("security").value?.objectValue.map { !$0.isEmpty } ?? false)
            let tlsNode = uiSecurity ? setting("security") : setting("tls")
            let useTLS = type == "tls" || method == "tls" || tlsObject || uiSecurity
            let host = setting("host").requiredString()
            let port = setting("port").int(default: useTLS ? 802 : 502, in: 1...65535)
            guard let host else { return nil }
            guard useTLS else { return .tcp(host: host, port: port) }
            guard let tls = ModbusTLSConfig.readMaster(tlsNode) else { return nil }
            return .tls(host: host, port: port, tls)
        }
    }
}
