import IronbridgeCore
import IronbridgeModbus

/// The `slave` section: the gateway as a Modbus slave (server) for a SCADA master, as the
/// Python gateway does it. The server holds the registers of `values`, starting with their
/// configured `value`s. With `sendDataToThingsBoard` the gateway also polls its own server
/// like any slave (its `attributes` and `timeseries` keys read with the table's function
/// code), so what the master writes reaches the platform; its `attributeUpdates` and `rpc`
/// keys write to the server, so the platform changes what the master reads.
struct ModbusSlaveSection: Sendable {
    /// One initial value: registers for a register table, bits for a bit table.
    enum Initial: Sendable {
        case registers(ModbusServer.RegisterTable, address: Int, [UInt16])
        case bits(ModbusServer.BitTable, address: Int, [Bool])
    }

    var transport: ModbusServer.Transport
    var initial: [Initial]
    /// The polled device, with `sendDataToThingsBoard`.
    var device: ModbusDeviceConfig?

    static let tables: [String: (read: Int, write: (single: Int, multiple: Int))] = [
        "holding_registers": (3, (6, 16)), "input_registers": (4, (6, 16)),
        "coils_initializer": (1, (5, 15)), "discrete_inputs": (2, (5, 15)),
    ]
    static let keys: Set<String> = [
        "type", "host", "port", "method", "unitId", "deviceName", "deviceType", "pollPeriod", "sendDataToThingsBoard",
        "byteOrder", "wordOrder", "identity", "values", "baudrate", "bytesize", "parity", "stopbits", "timeout", "retries",
        "reportStrategy", "name", "security",
    ]

    /// Reads the section; nil (with errors or warnings recorded) when it cannot be served.
    static func read(_ node: ConfigNode, reader: ModbusConfigReader) -> ModbusSlaveSection? {
        guard node.exists else { return nil }
        guard node.value?.objectValue != nil else {
            node.error("expected an object describing the gateway's Modbus slave, found \(node.value!.kindName)")
            return nil
        }
        node.checkKeys(known: keys, ignored: ["repack": "byteOrder and wordOrder apply to every value", "handleLocalEcho": "not supported",
                                              "retryOnEmpty": "a slave does not retry",
                                              "retryOnInvalid": "a slave does not retry"])
        let byteOrder = node["byteOrder"].oneOf(["BIG", "LITTLE"], default: "LITTLE").flatMap(ModbusByteOrder.init(rawValue:)) ?? .little
        let wordOrder = node["wordOrder"].oneOf(["BIG", "LITTLE"], default: "LITTLE").flatMap(ModbusWordOrder.init(rawValue:)) ?? .little
        let type = node["type"].oneOf(["tcp", "serial", "udp", "tls"], default: "tcp")
        let transport: ModbusServer.Transport
        var pollHost = "127.0.0.1"
        var pollPort = 502
        /// The gateway's own poll of a TLS slave: over loopback, its own certificate not verified.
        var pollTLS: JSONValue?
        switch type {
        case "serial":
            guard let device = node["port"].requiredString() else { return nil }
            let ascii = node["method"].value?.stringValue?.lowercased() == "ascii"
            let settings = ModbusSerialSettings(
                device: device, baudRate: node["baudrate"].int(default: 19200, in: 1...4_000_000),
                parity: node["parity"].oneOf(["N", "E", "O"], default: "N").flatMap(ModbusParity.init(rawValue:)) ?? .none,
                dataBits: node["bytesize"].int(default: 8, in: 5...8), stopBits: node["stopbits"].int(default: 1, in: 1...2))
            let unitId = node["unitId"].int(default: 1, in: 1...247)
            // ASCII framing is ours (libmodbus has RTU only), as for a master.
            transport = ascii ? .ascii(settings, unitId: unitId) : .rtu(settings, unitId: unitId)
        case "tcp":
            let host = node["host"].string(default: "0.0.0.0")
            let port = node["port"].int(default: 502, in: 1...65535)
            transport = .tcp(host: host, port: port)
            pollHost = host == "0.0.0.0" || host.isEmpty ? "127.0.0.1" : host
            pollPort = port
        case "tls":
            let host = node["host"].string(default: "0.0.0.0")
            let port = node["port"].int(default: 802, in: 1...65535)
            guard let security = ModbusTLSConfig.readServer(node["security"]) else { return nil }
            transport = .tls(host: host, port: port, security)
            pollHost = host == "0.0.0.0" || host.isEmpty ? "127.0.0.1" : host
            pollPort = port
            // The gateway polls its own server: no need to verify its own certificate; when
            // masters must present one (cafile), it presents the server's own certificate.
            var own: [String: JSONValue] = ["verify": false]
            if security.caFile != nil {
                own["certfile"] = security.certFile.map(JSONValue.string)
                own["keyfile"] = security.keyFile.map(JSONValue.string)
                own["password"] = security.password.map(JSONValue.string)
            }
            pollTLS = .object(own)
        default:
            node["type"].warning("the gateway's Modbus slave over \(type ?? "?") is not supported (tcp, tls or serial); the slave section is not served")
            return nil
        }
        var initial: [Initial] = []
        var polled: [String: [JSONValue]] = ["attributes": [], "timeseries": [], "attributeUpdates": [], "rpc": []]
        // Where each polled key came from, to name the real path in its diagnostics.
        var origins: [String: String] = [:]
        for (table, tableNode) in node["values"].objectMembers() {
            guard let codes = tables[table] else {
                tableNode.warning("unknown table, ignored (known: \(tables.keys.sorted().joined(separator: ", ")))")
                continue
            }
            tableNode.checkKeys(known: ["attributes", "timeseries", "attributeUpdates", "rpc"])
            for section in ["attributes", "timeseries", "attributeUpdates", "rpc"] {
                for item in tableNode[section].arrayElements() {
                    guard var members = item.value?.objectValue else { item.error("expected an object with tag, type, address"); continue }
                    if let value = members["value"], let entry = encode(value, item: item, codes: codes, table: table,
                                                                         byteOrder: byteOrder, wordOrder: wordOrder) {
                        initial.append(entry)
                    }
                    members["value"] = nil
                    if section == "attributes" || section == "timeseries" { members["functionCode"] = .int(Int64(codes.read)) }
                    origins["$.slave.\(section)[\(polled[section]!.count)]"] = item.path
                    polled[section]!.append(.object(members))
                }
            }
        }
        var device: ModbusDeviceConfig?
        if node["sendDataToThingsBoard"].bool(default: false) {
            var slave: [String: JSONValue] = [
                "deviceName": .string(node["deviceName"].string(default: "Modbus Slave")),
                "deviceType": .string(node["deviceType"].string(default: "default")),
                "host": .string(pollHost), "port": .int(Int64(pollPort)), "unitId": .int(Int64(node["unitId"].int(default: 1, in: 0...255))),
                "pollPeriod": .int(Int64(node["pollPeriod"].int(default: 5000, in: 1...86_400_000))),
                "byteOrder": .string(byteOrder.rawValue), "wordOrder": .string(wordOrder.rawValue), "timeout": 1,
                "allowedWrites": true,
            ]
            for (section, items) in polled { slave[section] = .array(items) }
            if let pollTLS {
                slave["type"] = "tls"
                slave["tls"] = pollTLS
            }
            if case .rtu = transport {
                node["sendDataToThingsBoard"].warning("only a TCP or TLS slave can be polled by the gateway itself; values are served but not sent")
            } else if case .ascii = transport {
                node["sendDataToThingsBoard"].warning("only a TCP or TLS slave can be polled by the gateway itself; values are served but not sent")
            } else {
                let own = ConfigDiagnostics()
                device = reader.readSlave(ConfigNode(value: .object(slave), path: "$.slave", file: node.file, diagnostics: own), shared: nil)
                // The own poll's unverified TLS is ours, not the user's: not reported.
                for diagnostic in own.all where diagnostic.path != "$.slave.tls.verify" {
                    var path = diagnostic.path
                    for (synthetic, real) in origins where path.hasPrefix(synthetic) {
                        path = real + path.dropFirst(synthetic.count)
                    }
                    node.diagnostics.add(ConfigDiagnostic(severity: diagnostic.severity, file: diagnostic.file, path: path, message: diagnostic.message))
                }
            }
        }
        return ModbusSlaveSection(transport: transport, initial: initial, device: device)
    }

    /// The registers or bits of one configured `value`, encoded as the key's type says.
    private static func encode(_ value: JSONValue, item: ConfigNode, codes: (read: Int, write: (single: Int, multiple: Int)), table: String,
                               byteOrder: ModbusByteOrder, wordOrder: ModbusWordOrder) -> Initial? {
        let keys = ModbusKeyReader(byteOrder: byteOrder, wordOrder: wordOrder, reportStrategy: .onReceived)
        guard var members = item.value?.objectValue else { return nil }
        let count = members["objectsCount"]?.intValue ?? 1
        members["functionCode"] = .int(Int64(count <= 1 ? codes.write.single : codes.write.multiple))
        members["tag"] = members["tag"] ?? "value"
        members["value"] = nil
        // A bit table holds bits whatever the type says (the example sets a coil from an 8int 0).
        if codes.read <= 2 { members["type"] = "bits" }
        let own = ConfigDiagnostics()
        guard let key = keys.read(ConfigNode(value: .object(members), path: item.path, file: item.file, diagnostics: own), role: .rpc),
              let modbusValue = ModbusValue(json: value, for: key.codec.type) else {
            item["value"].warning("cannot be encoded as \(members["type"]?.stringValue ?? "?"); the register starts at 0")
            return nil
        }
        do {
            switch table {
            case "coils_initializer", "discrete_inputs":
                let bits = try key.codec.encodeBits(modbusValue)
                return .bits(table == "coils_initializer" ? .coils : .discreteInputs, address: key.address, bits)
            default:
                let registers = try key.codec.encodeRegisters(modbusValue)
                return .registers(table == "holding_registers" ? .holding : .input, address: key.address, registers)
            }
        } catch {
            item["value"].warning("cannot be encoded: \(error); the register starts at 0")
            return nil
        }
    }
}
