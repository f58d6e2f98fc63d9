/// Why a value could not be decoded or encoded, or a codec not configured.
public enum ModbusCodecError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownType(String)
    case unknownOrder(String)
    /// A codec option that cannot work, e.g. a zero divider.
    case invalidOption(String)
    /// Fewer registers or bits than the type needs.
    case tooFewObjects(type: ModbusDataType, needed: Int, got: Int)
    /// A value outside the range of the type.
    case outOfRange(type: ModbusDataType, value: String)
    /// A value of a kind the type cannot hold (e.g. text for `16int`).
    case wrongValueType(type: ModbusDataType, value: String, kind: String)
    /// A string or byte sequence longer than `objectsCount` registers.
    case tooLong(type: ModbusDataType, value: String, capacity: Int)
    /// The type cannot be carried by bit functions (1, 2, 5, 15).
    case notBitAddressable(ModbusDataType)

    public var description: String {
        switch self {
        case .unknownType(let text):
            "unknown data type \"\(text)\"; valid types: "
                + ModbusDataType.allCases.map(\.rawValue).joined(separator: ", ")
        case .unknownOrder(let text):
            "unknown byte/word order \"\(text)\"; valid: BIG, LITTLE"
        case .invalidOption(let text):
            text
        case .tooFewObjects(let type, let needed, let got):
            "type \(type) needs \(needed) objects, got \(got)"
        case .outOfRange(let type, let value):
            "value \(value) is out of range for type \(type)"
        case .wrongValueType(let type, let value, let kind):
            "type \(type) cannot hold \(kind) value \(value)"
        case .tooLong(let type, let value, let capacity):
            "value \(value) does not fit type \(type) in \(capacity) bytes"
        case .notBitAddressable(let type):
            "type \(type) cannot be read or written with bit functions (1, 2, 5, 15); use bits"
        }
    }
}
