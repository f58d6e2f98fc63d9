/// A decoded Modbus value, or a value to encode for a write.
public enum ModbusValue: Sendable, Hashable, CustomStringConvertible {
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case string(String)
    case bytes([UInt8])
    case bits([Bool])

    public var description: String {
        switch self {
        case .int(let value): String(value)
        case .uint(let value): String(value)
        case .double(let value): String(value)
        case .bool(let value): String(value)
        case .string(let value): "\"\(value)\""
        case .bytes(let value): "bytes \(value)"
        case .bits(let value): "bits \(value.map { $0 ? "1" : "0" }.joined())"
        }
    }

    /// A short name of the case, for error messages.
    var kind: String {
        switch self {
        case .int, .uint: "integer"
        case .double: "number"
        case .bool: "boolean"
        case .string: "string"
        case .bytes: "bytes"
        case .bits: "bits"
        }
    }
}
