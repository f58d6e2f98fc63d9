/// A value type of the gateway configuration's `type` field, with its exact spelling
/// as raw value (`"16int"`, `"32float"`, ...).
public enum ModbusDataType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case string
    case bytes
    case bits
    case int8 = "8int"
    case uint8 = "8uint"
    case int16 = "16int"
    case uint16 = "16uint"
    case float16 = "16float"
    case int32 = "32int"
    case uint32 = "32uint"
    case float32 = "32float"
    case int64 = "64int"
    case uint64 = "64uint"
    case float64 = "64float"

    /// Parses a configuration spelling (exact, case-sensitive as in the Python gateway).
    /// - Throws: ``ModbusCodecError/unknownType(_:)``, whose text lists the valid names.
    public init(parsing text: String) throws(ModbusCodecError) {
        guard let type = Self(rawValue: text) else { throw .unknownType(text) }
        self = type
    }

    public var description: String { rawValue }

    /// Registers one value occupies, for fixed-size types: 1 (8- and 16-bit types),
    /// 2 (32-bit), 4 (64-bit); nil for `string`, `bytes` and `bits`, sized by objectsCount.
    public var fixedRegisterCount: Int? {
        switch self {
        case .int8, .uint8, .int16, .uint16, .float16: 1
        case .int32, .uint32, .float32: 2
        case .int64, .uint64, .float64: 4
        case .string, .bytes, .bits: nil
        }
    }

    /// Whether the type is an integer or floating-point number.
    public var isNumeric: Bool { fixedRegisterCount != nil }

    var isFloatingPoint: Bool { self == .float16 || self == .float32 || self == .float64 }
    var isSignedInteger: Bool { [.int8, .int16, .int32, .int64].contains(self) }

    /// Value width in bits for numeric types (8-bit types: 8, though they fill a register).
    var bitWidth: Int {
        switch self {
        case .int8, .uint8: 8
        default: (fixedRegisterCount ?? 0) * 16
        }
    }
}

/// Byte order inside each 16-bit register: `BIG` sends the high byte first (Modbus's
/// own order); `LITTLE` swaps the two bytes of every register.
public enum ModbusByteOrder: String, Sendable, Hashable, CaseIterable {
    case big = "BIG"
    case little = "LITTLE"

    /// Parses `BIG` or `LITTLE`, ignoring case.
    public init(parsing text: String) throws(ModbusCodecError) {
        guard let order = Self(rawValue: text.uppercased()) else { throw .unknownOrder(text) }
        self = order
    }
}

/// Order of the registers of a 32- or 64-bit value: `BIG` puts the most significant
/// register first; `LITTLE` puts it last.
public enum ModbusWordOrder: String, Sendable, Hashable, CaseIterable {
    case big = "BIG"
    case little = "LITTLE"

    /// Parses `BIG` or `LITTLE`, ignoring case.
    public init(parsing text: String) throws(ModbusCodecError) {
        guard let order = Self(rawValue: text.uppercased()) else { throw .unknownOrder(text) }
        self = order
    }
}

/// What a single selected bit decodes to (`bitTargetType`): `bool` or `int` (0/1).
public enum ModbusBitTargetType: String, Sendable, Hashable, CaseIterable {
    case bool
    case int
}
