/// A deliberate misbehaviour of a ``ModbusServer``, in the spirit of libmodbus's own
/// test server: requests whose addresses overlap ``addresses`` (and whose function code
/// is in ``functionCodes``, when given) are answered with an exception, answered late,
/// or not answered at all.
public struct ModbusServerFault: Sendable, Hashable {
    public enum Behavior: Sendable, Hashable {
        /// Reply with this Modbus exception (`modbus_reply_exception`).
        case exception(ModbusExceptionCode)
        /// Reply normally after this delay: a slow slave.
        case delay(Duration)
        /// Never reply: the master sees a timeout.
        case drop
        /// Reply twice: the second copy waits in the master's input and answers its next
        /// request (a gateway in between that retransmits, a slave with a bug).
        case duplicate
    }

    public var addresses: ClosedRange<Int>
    /// The function codes concerned; `nil` means all.
    public var functionCodes: Set<ModbusFunctionCode>?
    public var behavior: Behavior

    public init(
        addresses: ClosedRange<Int>, functionCodes: Set<ModbusFunctionCode>? = nil,
        behavior: Behavior
    ) {
        self.addresses = addresses
        self.functionCodes = functionCodes
        self.behavior = behavior
    }

    func matches(_ code: ModbusFunctionCode, addresses requested: ClosedRange<Int>) -> Bool {
        (functionCodes?.contains(code) ?? true) && addresses.overlaps(requested)
    }
}
