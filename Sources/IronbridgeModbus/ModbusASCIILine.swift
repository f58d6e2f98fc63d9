#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A serial port speaking Modbus ASCII frames (``ModbusASCIIFrame``), opened with termios.
/// Like ``ModbusConnection`` it has one owner thread and blocks for up to the timeout.
final class ModbusASCIILine {
    let settings: ModbusSerialSettings
    private(set) var fd: Int32 = -1
    /// The largest ASCII frame: `:` + 2 × (1 + 253 + 1) + CR LF.
    static let maxFrame = 513

    init(settings: ModbusSerialSettings) { self.settings = settings }

    deinit { close() }

    var isOpen: Bool { fd >= 0 }

    /// Opens the device raw with the line's baud rate, parity, data and stop bits.
    func open() throws(ModbusError.Cause) {
        guard fd < 0 else { return }
        guard let speed = Self.speed(settings.baudRate) else { throw .invalidArgument("baud rate \(settings.baudRate)") }
        let opened = Glibc.open(settings.device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard opened >= 0 else { throw ModbusError.Cause(errno: errno) }
        var options = termios()
        guard tcgetattr(opened, &options) == 0 else {
            let code = errno
            _ = Glibc.close(opened)
            throw ModbusError.Cause(errno: code)
        }
        cfmakeraw(&options)
        cfsetispeed(&options, speed)
        cfsetospeed(&options, speed)
        options.c_cflag &= ~(tcflag_t(CSIZE | PARENB | PARODD | CSTOPB) | tcflag_t(CRTSCTS))
        options.c_cflag |= tcflag_t(CLOCAL | CREAD)
        options.c_cflag |= tcflag_t([5: CS5, 6: CS6, 7: CS7][settings.dataBits] ?? CS8)
        if settings.parity != .none { options.c_cflag |= tcflag_t(PARENB) }
        if settings.parity == .odd { options.c_cflag |= tcflag_t(PARODD) }
        if settings.stopBits == 2 { options.c_cflag |= tcflag_t(CSTOPB) }
        guard tcsetattr(opened, TCSANOW, &options) == 0 else {
            let code = errno
            _ = Glibc.close(opened)
            throw ModbusError.Cause(errno: code)
        }
        fd = opened
    }

    func close() {
        guard fd >= 0 else { return }
        _ = Glibc.close(fd)
        fd = -1
    }

    /// Sends `pdu` to `unit` and returns the reply's PDU (an exception reply included).
    /// Input pending before the request (a late or garbled frame) is dropped first. Frames
    /// from other units are skipped; a frame with a wrong LRC is ``ModbusError/Cause/badCRC``.
    func transact(unit: UInt8, pdu: [UInt8], timeout: Duration) throws(ModbusError.Cause) -> [UInt8] {
        guard fd >= 0 else { throw .notConnected }
        drainInput()
        let deadline = ContinuousClock.now + timeout
        try send(unit: unit, pdu: pdu, until: deadline)
        // A broadcast (unit 0) gets no reply.
        if unit == 0 { return [] }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            guard try wait(for: POLLIN, until: deadline) else { throw .timeout }
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw ModbusError.Cause(errno: errno)
            }
            if count == 0 { throw .connectionReset }
            buffer += chunk[0..<count]
            while let reply = try nextFrame(&buffer) {
                if reply.unit == unit { return reply.pdu }
            }
            if buffer.count > Self.maxFrame { buffer.removeAll() }
        }
    }

    /// Writes one frame, waiting at most until `deadline` for the port.
    func send(unit: UInt8, pdu: [UInt8], until deadline: ContinuousClock.Instant) throws(ModbusError.Cause) {
        let frame = ModbusASCIIFrame.encode(unit: unit, pdu: pdu)
        var written = 0
        while written < frame.count {
            let count = frame[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count > 0 { written += count; continue }
            if count < 0, errno != EAGAIN, errno != EINTR { throw ModbusError.Cause(errno: errno) }
            guard try wait(for: POLLOUT, until: deadline) else { throw .timeout }
        }
    }

    /// Takes the first complete `:` … CR LF frame out of `buffer` (dropping noise before it).
    func nextFrame(_ buffer: inout [UInt8]) throws(ModbusError.Cause) -> (unit: UInt8, pdu: [UInt8])? {
        guard let start = buffer.firstIndex(of: UInt8(ascii: ":")) else { buffer.removeAll(); return nil }
        if start > 0 { buffer.removeFirst(start) }
        guard let end = buffer.indices.dropFirst().first(where: { buffer[$0] == 0x0A && buffer[$0 - 1] == 0x0D }) else { return nil }
        let frame = buffer[0..<(end - 1)]
        buffer.removeFirst(end + 1)
        do {
            return try ModbusASCIIFrame.decode(frame)
        } catch .badLRC {
            throw .badCRC
        } catch {
            throw .invalidResponse("a malformed ASCII frame")
        }
    }

    /// Waits until the port is ready for `events`; false at the deadline.
    private func wait(for events: Int32, until deadline: ContinuousClock.Instant) throws(ModbusError.Cause) -> Bool {
        try DescriptorWait.ready(fd, for: events, until: deadline, onHangup: .fail)
    }

    /// Drops input already waiting: a late reply or noise cannot answer the next request.
    private func drainInput() {
        var chunk = [UInt8](repeating: 0, count: 256)
        for _ in 0..<64 {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return }
        }
    }

    private static func speed(_ baud: Int) -> speed_t? {
        let table: [Int: Int32] = [
            1200: B1200, 2400: B2400, 4800: B4800, 9600: B9600, 19200: B19200, 38400: B38400,
            57600: B57600, 115200: B115200, 230400: B230400, 460800: B460800, 921600: B921600,
        ]
        return table[baud].map { speed_t($0) }
    }
}

/// The ASCII line throws bare causes; ``ModbusConnection`` wraps them with the operation.
extension ModbusError.Cause: Error {}
