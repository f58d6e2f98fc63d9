/// A line on which ``ModbusConnection`` frames requests itself, where libmodbus cannot:
/// ASCII on a serial port (``ModbusASCIILine``) and Modbus TCP over TLS (``ModbusTLSLine``).
/// The connection builds the PDUs and checks the replies; the line frames and transports.
protocol ModbusFramedLine: AnyObject {
    /// Opens the port or connects; a connect waits at most `timeout`.
    func open(timeout: Duration) throws(ModbusError.Cause)
    func close()
    /// Sends `pdu` to `unit`, returns the reply's PDU (an exception reply included).
    func transact(unit: UInt8, pdu: [UInt8], timeout: Duration) throws(ModbusError.Cause) -> [UInt8]
    /// Whether unit 0 is a broadcast that gets no reply (serial lines), or a unit like any other (TCP).
    var unitZeroIsBroadcast: Bool { get }
}

extension ModbusASCIILine: ModbusFramedLine {
    func open(timeout: Duration) throws(ModbusError.Cause) { try open() }
    var unitZeroIsBroadcast: Bool { true }
}
