import IronbridgeCore
import IronbridgeModbus

extension ModbusConnector {
    /// `get` / `set`, or a configured `rpc` tag: reads reply `{"result":{"value":X}}`,
    /// writes reply with the value written; errors `{"result":{"error":"..."}}`.
    public func handleRPC(_ call: RPCCall) async -> JSONValue {
        guard let device = config(of: call.device) else {
            return errorReply("unknown Modbus device '\(PlatformText.clip(call.device))'")
        }
        let key: ModbusKeyConfig
        var value: JSONValue?
        if let reserved = ModbusRPCRequest.reservedMethod(call.method), device.rpc.first(where: { $0.tag == call.method }) == nil {
            switch ModbusRPCRequest.parse(method: reserved, params: call.params, device: device) {
            case .success(let parsed): (key, value) = parsed
            case .failure(let failure): return errorReply(failure.message)
            }
            if reserved == "set", let refusal = Self.writeRefusal(key, device: device, connectorName: name) {
                return errorReply(refusal)
            }
        } else if let configured = device.rpc.first(where: { $0.tag == call.method }) {
            key = configured
            if !key.functionCode.isRead {
                guard let given = Self.writeValue(from: call.params) else {
                    return errorReply("\(call.method) writes \(key.codec.type) at \(key.address); send the value as params, e.g. {\"value\": 1}")
                }
                value = given
            }
        } else {
            let known = (["get", "set", "modbus_get", "modbus_set"] + device.rpc.map(\.tag)).joined(separator: ", ")
            return errorReply("unknown method '\(PlatformText.clip(call.method))' for device '\(call.device)'; known: \(known)")
        }
        let outcome: Result<JSONValue, ModbusRPCFailure>
        if let value {
            outcome = await write(value, to: key, of: device)
        } else {
            outcome = await read(key, of: device)
        }
        switch outcome {
        case .success(let result): return ["result": ["value": result]]
        case .failure(let failure): return errorReply(failure.message)
        }
    }

    /// Why `set` may not write where `key` points, or nil when it may (see ``ModbusWritePolicy``).
    static func writeRefusal(_ key: ModbusKeyConfig, device: ModbusDeviceConfig, connectorName: String) -> String? {
        guard let table = ModbusWritePolicy.table(of: key.functionCode) else { return nil }
        let last = key.address + max(1, key.objectCount) - 1
        guard !device.writePolicy.allows(table, key.address...last) else { return nil }
        let what = table == .coils ? "coil" : "holding register"
        let span = last == key.address ? "\(what) \(key.address)" : "\(what)s \(key.address)-\(last)"
        let example = last == key.address ? "\(key.address)" : "[\(key.address), \(last)]"
        return "set: writing \(span) of '\(device.name)' is not allowed: no configured key writes there. "
            + "To allow it, add \"allowedWrites\": {\"\(table.rawValue)\": [\(example)]} to the device in the \(connectorName) connector file "
            + "(or \"allowedWrites\": true for any address of the device)"
    }

    /// A bare value, or `{"value": x}`.
    static func writeValue(from params: JSONValue) -> JSONValue? {
        switch params {
        case .null: return nil
        case .object(let members): return members["value"].flatMap { $0 == .null ? nil : $0 }
        default: return params
        }
    }

    /// Reads one key now (ahead of queued polls) and decodes it.
    func read(_ key: ModbusKeyConfig, of device: ModbusDeviceConfig) async -> Result<JSONValue, ModbusRPCFailure> {
        guard let worker = worker(of: device.name), let function = key.readFunction else {
            return .failure(ModbusRPCFailure("function code \(key.functionCode.rawValue) does not read"))
        }
        let count = key.objectCount
        let raw = await worker.perform({ session in
            session.request(device, retries: device.policy.retries) { connection throws(ModbusError) in
                try connection.read(function, address: key.address, count: count)
            }.mapError { ModbusRPCFailure("\($0)") }
        }, cancelled: { .failure(ModbusRPCFailure("cancelled before it reached the line")) })
        return raw.flatMap { result in
            do {
                return .success(key.applyVariants(try key.codec.decode(result).json))
            } catch {
                return .failure(ModbusRPCFailure("cannot decode \(key.codec.type) at \(key.address): \(error)"))
            }
        }
    }

    /// Encodes `value` by the key's type and orders, then writes it (ahead of queued polls).
    /// Returns the value as written: a number given as text (`"12.5"`, `"0x10"`) comes back as
    /// the number the registers hold; other values come back as given.
    func write(_ value: JSONValue, to key: ModbusKeyConfig, of device: ModbusDeviceConfig) async -> Result<JSONValue, ModbusRPCFailure> {
        guard let worker = worker(of: device.name) else { return .failure(ModbusRPCFailure("no line for '\(device.name)'")) }
        let type = key.codec.type
        guard let modbusValue = ModbusValue(json: value, for: type) else {
            return .failure(ModbusRPCFailure("\(PlatformText.clip(value)) cannot be written as \(type)"))
        }
        let operation: @Sendable (ModbusConnection) throws(ModbusError) -> Void
        var written = value
        do {
            switch key.functionCode {
            case .writeSingleCoil, .writeMultipleCoils:
                let bits = try key.codec.encodeBits(modbusValue)
                let single = key.functionCode == .writeSingleCoil
                // Function code 5 writes the first bit given, as the Python gateway does.
                guard single ? !bits.isEmpty : bits.count == key.codec.bitCount else {
                    return .failure(ModbusRPCFailure("expected \(single ? 1 : key.codec.bitCount) bit(s) for \(key.tag), got \(bits.count)"))
                }
                operation = { connection throws(ModbusError) in
                    if single { try connection.writeCoil(address: key.address, value: bits[0]) }
                    else { try connection.writeCoils(address: key.address, values: bits) }
                }
            case .writeSingleRegister, .writeMultipleRegisters:
                let registers = try key.codec.encodeRegisters(modbusValue)
                if key.functionCode == .writeSingleRegister, registers.count != 1 {
                    return .failure(ModbusRPCFailure("\(type) takes \(registers.count) registers; function code 6 writes one, use 16"))
                }
                let single = key.functionCode == .writeSingleRegister
                if case .string = value, type != .string, type != .bytes, let decoded = try? key.codec.decode(registers: registers) {
                    written = decoded.json
                }
                operation = { connection throws(ModbusError) in
                    if single { try connection.writeRegister(address: key.address, value: registers[0]) }
                    else { try connection.writeRegisters(address: key.address, values: registers) }
                }
            default:
                return .failure(ModbusRPCFailure("function code \(key.functionCode.rawValue) does not write"))
            }
        } catch {
            return .failure(ModbusRPCFailure("cannot encode \(PlatformText.clip(value)) as \(type): \(error)"))
        }
        let reply = written
        return await worker.perform({ session in
            session.request(device, retries: device.policy.retries, operation).map { reply }.mapError { ModbusRPCFailure("\($0)") }
        }, cancelled: { .failure(ModbusRPCFailure("cancelled before it reached the line")) })
    }
}
