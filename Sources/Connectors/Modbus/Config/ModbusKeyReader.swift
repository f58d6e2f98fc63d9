import IronbridgeCore
import IronbridgeModbus

/// Reads one entry of `attributes`, `timeseries`, `attributeUpdates` or `rpc`.
struct ModbusKeyReader {
    static let knownKeys: Set<String> = [
        "tag", "type", "functionCode", "objectsCount", "address", "divider", "multiplier", "bit",
        "bitTargetType", "variants", "byteOrder", "wordOrder", "reportStrategy", "round", "messages",
    ]
    static let typeNames = ModbusDataType.allCases.map(\.rawValue)

    var byteOrder: ModbusByteOrder
    var wordOrder: ModbusWordOrder
    var reportStrategy: ModbusReportStrategy
    /// The device the keys belong to (the sender of their `messages`).
    var deviceName = ""

    /// Reads a key; nil (with errors recorded) when it cannot be used. `tag` comes from
    /// the 2.x object form (`"rpc": {"setValue": {...}}`) when given.
    func read(_ node: ConfigNode, role: ModbusKeyRole, tag givenTag: String? = nil) -> ModbusKeyConfig? {
        guard let object = node.value?.objectValue else {
            node.error("expected an object with tag, type, functionCode, address, found \(node.value?.kindName ?? "nothing")")
            return nil
        }
        node.checkKeys(known: Self.knownKeys, ignored: ["value": "a fixed value is not supported; send the value in the RPC params"])
        let tag = givenTag ?? node["tag"].requiredString()
        let type = readType(node["type"], objectsCount: object["objectsCount"]?.intValue)
        let function = readFunctionCode(node["functionCode"], role: role)
        let address = node["address"].requiredInt(in: 0...65535)
        let objectsCount = node["objectsCount"].optionalInt(in: 1...2000).map { Int($0) }
        let bitTarget = node["bitTargetType"].oneOf(["bool", "int"], default: "bool").flatMap(ModbusBitTargetType.init(rawValue:)) ?? .bool
        let divider = node["divider"].optionalDouble()
        let multiplier = node["multiplier"].optionalDouble()
        let multiplierIsInteger: Bool = if case .int = node["multiplier"].value { true } else { false }
        let roundDigits = node["round"].optionalInt(in: 0...17).map { Int($0) } ?? 6
        let bit = node["bit"].optionalInt(in: 0...63).map { Int($0) }
        let byteOrder = node["byteOrder"].oneOf(["BIG", "LITTLE"], default: nil).flatMap(ModbusByteOrder.init(rawValue:)) ?? self.byteOrder
        let wordOrder = node["wordOrder"].oneOf(["BIG", "LITTLE"], default: nil).flatMap(ModbusWordOrder.init(rawValue:)) ?? self.wordOrder
        let strategy = ModbusReportStrategy.read(node["reportStrategy"]) ?? reportStrategy
        let variants = readVariants(node["variants"])
        guard let tag, let type, let function, let address else { return nil }

        var count = objectsCount ?? type.fixedRegisterCount ?? 1
        if function == .writeSingleCoil, count > 1 {
            // The Python gateway writes the first of the bits with function code 5.
            node["objectsCount"].warning("function code 5 writes one coil: only the first of the \(count) bits is written (as the Python gateway does); use functionCode 15 to write them all")
            count = 1
        }
        let codec: ModbusValueCodec
        do {
            codec = try ModbusValueCodec(type: type, objectsCount: count, byteOrder: byteOrder, wordOrder: wordOrder,
                                         bit: bit, bitTargetType: bitTarget, divider: divider, multiplier: multiplier,
                                         multiplierIsInteger: multiplierIsInteger, roundDigits: roundDigits)
        } catch {
            node.error("\(error)")
            return nil
        }
        var key = ModbusKeyConfig(tag: tag, role: role, functionCode: function, address: address, codec: codec,
                                  variants: variants, reportStrategy: strategy)
        if node["messages"].exists {
            if role == .attribute || role == .timeseries {
                key.messages = MessageRule.readList(node["messages"], device: deviceName, key: tag, source: .value)
            } else {
                node["messages"].error("messages are sent on values the gateway reads (attributes, timeseries); not on \(role.rawValue)")
            }
        }
        guard validate(key, node: node) else { return nil }
        return key
    }

    private func validate(_ key: ModbusKeyConfig, node: ConfigNode) -> Bool {
        let function = key.functionCode
        let type = key.codec.type
        if function.accessesBits, type != .bits {
            node["type"].error("'\(type)' cannot be carried by function code \(function.rawValue) (\(function)); bit functions need type 'bits'")
            return false
        }
        let count = key.objectCount
        if function == .writeSingleRegister, count > function.maxCount {
            // The Python gateway accepts this key and fails when it writes; so do we.
            node["objectsCount"].warning("\(count) registers do not fit one write single register request: writing this key fails until it uses functionCode 16")
        } else if count > function.maxCount {
            let what = function.accessesBits ? "bits" : "registers"
            let hint = function == .writeSingleRegister ? "; use functionCode 16" : function == .writeSingleCoil ? "; use functionCode 15" : ""
            node["objectsCount"].error("\(count) \(what) do not fit one \(function) request (at most \(function.maxCount))\(hint)")
            return false
        }
        if key.address + count > 65536 {
            node["address"].error("address \(key.address) + \(count) objects runs past 65535")
            return false
        }
        return true
    }

    private func readType(_ node: ConfigNode, objectsCount: Int64?) -> ModbusDataType? {
        guard node.exists else {
            node.error("is required (one of: \(Self.typeNames.joined(separator: ", ")))")
            return nil
        }
        guard let text = node.optionalString() else { return nil }
        if let type = ModbusDataType(rawValue: text.lowercased()) { return type }
        // Spellings of older Python gateway configurations.
        let width = Int(objectsCount ?? 1) >= 4 ? 64 : Int(objectsCount ?? 1) >= 2 ? 32 : 16
        switch text.lowercased() {
        case "bit", "coil", "coils": return .bits
        case "int", "long": return ModbusDataType(rawValue: "\(text.lowercased() == "long" ? 32 : width)int")
        case "uint": return ModbusDataType(rawValue: "\(width)uint")
        case "float", "double": return ModbusDataType(rawValue: "\(text.lowercased() == "double" ? 64 : width == 16 ? 32 : width)float")
        default:
            node.error("'\(text)' is not one of: \(Self.typeNames.joined(separator: ", "))")
            return nil
        }
    }

    private func readFunctionCode(_ node: ConfigNode, role: ModbusKeyRole) -> ModbusFunctionCode? {
        let allowed: [Int64]
        switch role {
        case .attribute, .timeseries: allowed = [1, 2, 3, 4]
        case .attributeUpdate: allowed = [5, 6, 15, 16]
        case .rpc: allowed = [1, 2, 3, 4, 5, 6, 15, 16]
        }
        guard let code = node.requiredInt() else { return nil }
        guard allowed.contains(Int64(code)), let function = ModbusFunctionCode(rawValue: UInt8(code)) else {
            node.error("\(code) is not allowed in \(role.rawValue): expected one of \(allowed.map(String.init).joined(separator: ", "))")
            return nil
        }
        return function
    }

    /// `{"0": "off", "1": "on"}`: raw value (as JSON text) to the value reported instead.
    private func readVariants(_ node: ConfigNode) -> [String: JSONValue] {
        guard node.exists else { return [:] }
        var variants: [String: JSONValue] = [:]
        for (raw, member) in node.objectMembers() {
            variants[raw] = member.value
        }
        return variants
    }
}
