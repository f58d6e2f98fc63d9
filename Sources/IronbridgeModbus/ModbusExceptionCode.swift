/// A Modbus exception code sent by a slave instead of a normal reply.
public enum ModbusExceptionCode: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case illegalFunction = 0x01
    case illegalDataAddress = 0x02
    case illegalDataValue = 0x03
    case slaveDeviceFailure = 0x04
    case acknowledge = 0x05
    case slaveDeviceBusy = 0x06
    case negativeAcknowledge = 0x07
    case memoryParityError = 0x08
    case gatewayPathUnavailable = 0x0A
    case gatewayTargetFailedToRespond = 0x0B

    public var description: String {
        switch self {
        case .illegalFunction: "illegal function"
        case .illegalDataAddress: "illegal data address"
        case .illegalDataValue: "illegal data value"
        case .slaveDeviceFailure: "slave device failure"
        case .acknowledge: "acknowledge (request accepted, still processing)"
        case .slaveDeviceBusy: "slave device busy"
        case .negativeAcknowledge: "negative acknowledge"
        case .memoryParityError: "memory parity error"
        case .gatewayPathUnavailable: "gateway path unavailable"
        case .gatewayTargetFailedToRespond: "gateway target device failed to respond"
        }
    }
}
