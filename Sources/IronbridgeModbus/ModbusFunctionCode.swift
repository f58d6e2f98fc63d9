/// The Modbus function codes this module speaks.
public enum ModbusFunctionCode: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case readCoils = 1
    case readDiscreteInputs = 2
    case readHoldingRegisters = 3
    case readInputRegisters = 4
    case writeSingleCoil = 5
    case writeSingleRegister = 6
    case writeMultipleCoils = 15
    case writeMultipleRegisters = 16

    /// Whether the function addresses single bits (coils or discrete inputs).
    public var accessesBits: Bool {
        switch self {
        case .readCoils, .readDiscreteInputs, .writeSingleCoil, .writeMultipleCoils: true
        default: false
        }
    }

    /// Whether the function reads (1-4) rather than writes (5, 6, 15, 16).
    public var isRead: Bool { rawValue <= 4 }

    /// Protocol maximum of objects in one request: 2000 bits (FC1/2), 125 registers
    /// (FC3/4), 1968 coils (FC15), 123 registers (FC16), 1 for FC5/6.
    public var maxCount: Int {
        switch self {
        case .readCoils, .readDiscreteInputs: 2000
        case .readHoldingRegisters, .readInputRegisters: 125
        case .writeMultipleCoils: 1968
        case .writeMultipleRegisters: 123
        case .writeSingleCoil, .writeSingleRegister: 1
        }
    }

    /// "read holding registers", "write single coil", ...
    public var description: String {
        switch self {
        case .readCoils: "read coils"
        case .readDiscreteInputs: "read discrete inputs"
        case .readHoldingRegisters: "read holding registers"
        case .readInputRegisters: "read input registers"
        case .writeSingleCoil: "write single coil"
        case .writeSingleRegister: "write single register"
        case .writeMultipleCoils: "write multiple coils"
        case .writeMultipleRegisters: "write multiple registers"
        }
    }
}

/// The four read function codes, the ones a ``ModbusReadPlanner`` coalesces.
public enum ModbusReadFunction: UInt8, Sendable, Hashable, CaseIterable, Comparable {
    case coils = 1
    case discreteInputs = 2
    case holdingRegisters = 3
    case inputRegisters = 4

    public var functionCode: ModbusFunctionCode { ModbusFunctionCode(rawValue: rawValue)! }
    public var accessesBits: Bool { rawValue <= 2 }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The payload of one read: bits for FC1/2, registers for FC3/4.
public enum ModbusReadResult: Sendable, Hashable {
    case bits([Bool])
    case registers([UInt16])

    public var count: Int {
        switch self {
        case .bits(let bits): bits.count
        case .registers(let registers): registers.count
        }
    }
}
