import CModbus
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Modbus master (client) connection to one TCP endpoint or serial line, wrapping a
/// libmodbus `modbus_t` created by `modbus_new_tcp_pi` or `modbus_new_rtu`. Modbus ASCII and
/// Modbus TCP over TLS (which libmodbus lacks) go through a ``ModbusFramedLine`` instead
/// (``ModbusASCIILine`` on the serial port, ``ModbusTLSLine`` over OpenSSL); the `modbus_t`
/// then only keeps the unit id and response timeout.
///
/// Thread rules: a `modbus_t` is not thread-safe, and neither is this class. It has one
/// owner, which makes every call from one thread at a time; it is deliberately not
/// `Sendable`, so create it on the thread (or inside the isolation domain) that uses it.
/// Every request and `connect()` **blocks** the calling thread for up to the response
/// timeout (serial lines: plus wire time), so run it on a dedicated thread, never on
/// Swift's cooperative pool.
///
/// Errors: each libmodbus call's `errno` is captured immediately and thrown as a
/// ``ModbusError`` naming the operation, unit, addresses and endpoint. After a
/// connection-loss error the connection is closed (``isConnected`` becomes false); call
/// ``connect()`` again to reconnect. After a timeout, a garbled reply (bad CRC) or a reply
/// that does not match its request, the next request first resynchronises the line, so a
/// late, duplicated or noisy frame cannot be mistaken for the answer to a new request: over
/// TCP by reopening the socket (a stale frame would otherwise fail every later request with
/// a transaction-id mismatch), on a serial line by waiting until the line is silent for
/// an inter-frame gap and dropping what arrived (`modbus_flush`).
public final class ModbusConnection {
    public let endpoint: ModbusEndpoint
    /// The unit id (slave address) requests go to, once ``setSlave(_:)`` was called.
    public private(set) var unitId: Int?
    /// Whether ``connect()`` succeeded and no connection loss happened since.
    public internal(set) var isConnected = false

    private let context: OpaquePointer
    private var discardLateReplies = false
    /// The line of an endpoint libmodbus cannot frame: ASCII on a serial port, TCP over TLS.
    let framed: (any ModbusFramedLine)?

    /// Creates the libmodbus context (`modbus_new_tcp_pi` / `modbus_new_rtu`); no I/O.
    /// - Throws: ``ModbusError`` with ``ModbusError/Cause/invalidArgument(_:)`` for
    ///   settings libmodbus rejects.
    public init(endpoint: ModbusEndpoint) throws(ModbusError) {
        self.endpoint = endpoint
        let fail = { (cause: ModbusError.Cause) in
            ModbusError(operation: .createContext, endpoint: endpoint.description, cause: cause)
        }
        let created: OpaquePointer?
        var framed: (any ModbusFramedLine)?
        switch endpoint {
        case .tls(let host, let port, let settings):
            guard (0...65535).contains(port) else { throw fail(.invalidArgument("port \(port)")) }
            // The context only keeps the unit id and the response timeout.
            created = modbus_new_tcp_pi(host, String(port))
            framed = ModbusTLSLine(host: host, port: port, settings: settings)
        case .tcp(let host, let port):
            guard (0...65535).contains(port) else { throw fail(.invalidArgument("port \(port)")) }
            created = modbus_new_tcp_pi(host, String(port))
        case .rtu(let settings), .ascii(let settings):
            guard (5...8).contains(settings.dataBits), (1...2).contains(settings.stopBits),
                settings.baudRate > 0, !settings.device.isEmpty
            else {
                throw fail(.invalidArgument(
                    "baud \(settings.baudRate), data bits \(settings.dataBits), stop bits \(settings.stopBits)"))
            }
            created = modbus_new_rtu(
                settings.device, Int32(settings.baudRate), settings.parity.cCharacter,
                Int32(settings.dataBits), Int32(settings.stopBits))
            if case .ascii = endpoint { framed = ModbusASCIILine(settings: settings) }
        }
        self.framed = framed
        let code = errno
        guard let created else {
            throw fail(code == EINVAL ? .invalidArgument("rejected by libmodbus") : .init(errno: code))
        }
        context = created
    }

    deinit {
        if isConnected, framed == nil { modbus_close(context) }
        modbus_free(context)
    }

    // MARK: - Connection

    /// Opens the TCP connection or the serial device (`modbus_connect`). Blocking: a
    /// TCP connect waits up to the response timeout. Does nothing when already connected.
    public func connect() throws(ModbusError) {
        guard !isConnected else { return }
        if let framed {
            do { try framed.open(timeout: responseTimeout) } catch { throw self.error(.connect, cause: error) }
            isConnected = true
            return
        }
        if modbus_connect(context) == -1 {
            let code = errno
            throw error(.connect, cause: .init(errno: code))
        }
        isConnected = true
        discardLateReplies = false
    }

    /// Closes the socket or serial device (`modbus_close`). Safe to call when closed.
    public func close() {
        guard isConnected else { return }
        if let framed { framed.close() } else { modbus_close(context) }
        isConnected = false
    }

    /// Sets how long a request waits for the reply, and a TCP connect for the peer
    /// (`modbus_set_response_timeout`). libmodbus's default is 0.5 s.
    public func setResponseTimeout(_ timeout: Duration) throws(ModbusError) {
        let (seconds, attoseconds) = timeout.components
        guard seconds >= 0, timeout > .zero else {
            throw error(.configure("response timeout"), cause: .invalidArgument("\(timeout)"))
        }
        let microseconds = UInt32(attoseconds / 1_000_000_000_000)
        if modbus_set_response_timeout(context, UInt32(clamping: seconds), microseconds) == -1 {
            let code = errno
            throw error(.configure("response timeout"), cause: .init(errno: code))
        }
    }

    /// The current response timeout (`modbus_get_response_timeout`).
    public var responseTimeout: Duration {
        var seconds: UInt32 = 0
        var microseconds: UInt32 = 0
        modbus_get_response_timeout(context, &seconds, &microseconds)
        return .seconds(Int64(seconds)) + .microseconds(Int64(microseconds))
    }

    /// Selects the unit id (slave address) of the following requests (`modbus_set_slave`).
    /// RTU accepts 0 (broadcast) to 247; TCP accepts 0 to 255. No I/O.
    public func setSlave(_ unitId: Int) throws(ModbusError) {
        if modbus_set_slave(context, Int32(clamping: unitId)) == -1 {
            let code = errno
            throw error(.configure("unit id \(unitId)"), cause: code == EINVAL
                ? .invalidArgument("unit id \(unitId) out of range") : .init(errno: code))
        }
        self.unitId = unitId
    }

    // MARK: - Reads (blocking)

    /// FC1 (`modbus_read_bits`). Blocking.
    public func readCoils(address: Int, count: Int) throws(ModbusError) -> [Bool] {
        try readBits(.readCoils, address: address, count: count, modbus_read_bits)
    }

    /// FC2 (`modbus_read_input_bits`). Blocking.
    public func readDiscreteInputs(address: Int, count: Int) throws(ModbusError) -> [Bool] {
        try readBits(.readDiscreteInputs, address: address, count: count, modbus_read_input_bits)
    }

    /// FC3 (`modbus_read_registers`). Blocking.
    public func readHoldingRegisters(address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        try readRegisters(.readHoldingRegisters, address: address, count: count, modbus_read_registers)
    }

    /// FC4 (`modbus_read_input_registers`). Blocking.
    public func readInputRegisters(address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        try readRegisters(
            .readInputRegisters, address: address, count: count, modbus_read_input_registers)
    }

    /// Reads with any of FC1-4, e.g. to execute a ``ModbusPlannedRequest``. Blocking.
    public func read(
        _ function: ModbusReadFunction, address: Int, count: Int
    ) throws(ModbusError) -> ModbusReadResult {
        switch function {
        case .coils: .bits(try readCoils(address: address, count: count))
        case .discreteInputs: .bits(try readDiscreteInputs(address: address, count: count))
        case .holdingRegisters: .registers(try readHoldingRegisters(address: address, count: count))
        case .inputRegisters: .registers(try readInputRegisters(address: address, count: count))
        }
    }

    // MARK: - Writes (blocking)

    /// FC5 (`modbus_write_bit`). Blocking.
    public func writeCoil(address: Int, value: Bool) throws(ModbusError) {
        if framed != nil { return try asciiWrite(.writeSingleCoil, address: address, count: 1, data: [value ? 0xFF : 0x00, 0x00]) }
        try perform(.writeSingleCoil, address: address, count: 1) { context in
            modbus_write_bit(context, Int32(address), value ? 1 : 0)
        }
    }

    /// FC6 (`modbus_write_register`). Blocking.
    public func writeRegister(address: Int, value: UInt16) throws(ModbusError) {
        if framed != nil { return try asciiWrite(.writeSingleRegister, address: address, count: 1, data: [UInt8(value >> 8), UInt8(value & 0xFF)]) }
        try perform(.writeSingleRegister, address: address, count: 1) { context in
            modbus_write_register(context, Int32(address), value)
        }
    }

    /// FC15 (`modbus_write_bits`), up to 1968 coils. Blocking.
    public func writeCoils(address: Int, values: [Bool]) throws(ModbusError) {
        if framed != nil { return try asciiWriteCoils(address: address, values: values) }
        let bytes = values.map { UInt8($0 ? 1 : 0) }
        try perform(.writeMultipleCoils, address: address, count: values.count) { context in
            modbus_write_bits(context, Int32(address), Int32(bytes.count), bytes)
        }
    }

    /// FC16 (`modbus_write_registers`), up to 123 registers. Blocking.
    public func writeRegisters(address: Int, values: [UInt16]) throws(ModbusError) {
        if framed != nil { return try asciiWriteRegisters(address: address, values: values) }
        try perform(.writeMultipleRegisters, address: address, count: values.count) { context in
            modbus_write_registers(context, Int32(address), Int32(values.count), values)
        }
    }

    // MARK: - Plumbing

    private func readBits(
        _ code: ModbusFunctionCode, address: Int, count: Int,
        _ call: (OpaquePointer, Int32, Int32, UnsafeMutablePointer<UInt8>?) -> Int32
    ) throws(ModbusError) -> [Bool] {
        if framed != nil { return try asciiReadBits(code, address: address, count: count) }
        var bytes = [UInt8](repeating: 0, count: max(count, 0))
        try perform(code, address: address, count: count) { context in
            bytes.withUnsafeMutableBufferPointer { call(context, Int32(address), Int32(count), $0.baseAddress) }
        }
        return bytes.map { $0 != 0 }
    }

    private func readRegisters(
        _ code: ModbusFunctionCode, address: Int, count: Int,
        _ call: (OpaquePointer, Int32, Int32, UnsafeMutablePointer<UInt16>?) -> Int32
    ) throws(ModbusError) -> [UInt16] {
        if framed != nil { return try asciiReadRegisters(code, address: address, count: count) }
        var registers = [UInt16](repeating: 0, count: max(count, 0))
        try perform(code, address: address, count: count) { context in
            registers.withUnsafeMutableBufferPointer {
                call(context, Int32(address), Int32(count), $0.baseAddress)
            }
        }
        return registers
    }

    /// Validates the request, runs one libmodbus request call, captures `errno` at once.
    private func perform(
        _ code: ModbusFunctionCode, address: Int, count: Int, _ call: (OpaquePointer) -> Int32
    ) throws(ModbusError) {
        let operation = ModbusError.Operation.request(code)
        guard (1...code.maxCount).contains(count) else {
            throw error(operation, address: address, count: count,
                        cause: .invalidArgument("count must be 1...\(code.maxCount)"))
        }
        guard address >= 0, address + count <= 65536 else {
            throw error(operation, address: address, count: count,
                        cause: .invalidArgument("addresses must lie in 0...65535"))
        }
        guard isConnected else {
            throw error(operation, address: address, count: count, cause: .notConnected)
        }
        if discardLateReplies {
            discardLateReplies = false
            try discardLateReply(operation, address: address, count: count)
        }
        if call(context) == -1 {
            let cause = ModbusError.Cause(errno: errno)
            switch cause {
            case .timeout, .badCRC, .invalidResponse: discardLateReplies = true
            default: break
            }
            if cause.isConnectionLoss { close() }
            throw error(operation, address: address, count: count, cause: cause)
        }
    }

    /// Makes sure a reply to a timed-out request cannot be taken for the answer to the
    /// next one: TCP reopens the socket (`modbus_close` + `modbus_connect`), a serial line
    /// drops its pending input (`modbus_flush`).
    private func discardLateReply(
        _ operation: ModbusError.Operation, address: Int, count: Int
    ) throws(ModbusError) {
        guard case .tcp = endpoint else {
            drainSerialInput()
            return
        }
        modbus_close(context)
        if modbus_connect(context) == -1 {
            let cause = ModbusError.Cause(errno: errno)
            isConnected = false
            throw error(operation, address: address, count: count, cause: cause)
        }
    }

    /// Drops serial input until the line has been silent for an inter-frame gap (at least
    /// 3.5 characters, never under 5 ms), at most 20 rounds: noise or a frame still arriving
    /// is gone before the next request goes out.
    private func drainSerialInput() {
        var gapMicroseconds: UInt32 = 5_000
        if case .rtu(let settings) = endpoint {
            // 11 bits per character, 3.5 characters, doubled for slow USB adapters.
            gapMicroseconds = max(gapMicroseconds, UInt32(2 * 3.5 * 11 * 1_000_000 / Double(max(settings.baudRate, 1))))
        }
        for _ in 0..<20 {
            usleep(gapMicroseconds)
            if modbus_flush(context) <= 0 { return }
        }
    }

    func error(
        _ operation: ModbusError.Operation, address: Int? = nil, count: Int? = nil,
        cause: ModbusError.Cause
    ) -> ModbusError {
        ModbusError(
            operation: operation, unitId: unitId, address: address, count: count,
            endpoint: endpoint.description, cause: cause)
    }
}

@available(*, unavailable, message: "a modbus_t must have one owner; create the connection where it is used")
extension ModbusConnection: Sendable {}
