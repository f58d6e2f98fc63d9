import IronbridgeCore
import IronbridgeModbus

extension ModbusValue {
    /// The value as the platform gets it: numbers, booleans, text; bits as an array of
    /// booleans, bytes as lower-case hex text (as the Python gateway).
    var json: JSONValue {
        switch self {
        case .int(let number): .int(number)
        case .uint(let number): .unsigned(number)
        case .double(let number): number.isFinite ? .double(number) : .string(String(number))
        case .bool(let flag): .bool(flag)
        case .string(let text): .string(text)
        case .bytes(let bytes): .string(ModbusValueCodec.hex(bytes))
        case .bits(let bits): .array(bits.map(JSONValue.bool))
        }
    }

    /// A value to write, from RPC params or a shared attribute. Arrays are bits (booleans
    /// or 0/1) or bytes (numbers 0-255, for type `bytes`).
    init?(json: JSONValue, for type: ModbusDataType) {
        switch json {
        case .int(let number): self = .int(number)
        case .uint(let number): self = .uint(number)
        case .double(let number): self = .double(number)
        case .bool(let flag): self = .bool(flag)
        case .string(let text): self = .string(text)
        case .array(let items):
            if type == .bytes {
                let bytes = items.compactMap { $0.intValue.flatMap { UInt8(exactly: $0) } }
                guard bytes.count == items.count else { return nil }
                self = .bytes(bytes)
            } else {
                let bits = items.compactMap { item -> Bool? in
                    if let flag = item.boolValue { return flag }
                    switch item.intValue { case 0: return false; case 1: return true; default: return nil }
                }
                guard bits.count == items.count else { return nil }
                self = .bits(bits)
            }
        case .null, .object: return nil
        }
    }
}

extension ModbusKeyConfig {
    /// The label configured in `variants` for this raw value, or the value itself.
    func applyVariants(_ value: JSONValue) -> JSONValue {
        guard !variants.isEmpty else { return value }
        let text: String
        switch value {
        case .int(let number): text = String(number)
        case .uint(let number): text = String(number)
        case .double(let number) where number.rounded() == number && abs(number) < 1e15: text = String(Int64(number))
        case .double(let number): text = String(number)
        case .bool(let flag): text = flag ? "true" : "false"
        case .string(let string): text = string
        default: return value
        }
        if let label = variants[text] { return label }
        if case .bool(let flag) = value, let label = variants[flag ? "1" : "0"] { return label }
        return value
    }
}
