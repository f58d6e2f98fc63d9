#if canImport(Glibc)
import Glibc
#endif

/// Modbus TCP framing (MBAP header: transaction id, protocol 0, length, unit) over a TLS
/// connection, as the MODBUS/TCP Security specification and pymodbus's TLS framer do
/// (libmodbus has no TLS). Like ``ModbusConnection`` it has one owner thread and blocks for
/// up to the timeout. A reply is matched to its request by transaction id, so a late reply
/// to a timed-out request is dropped, never taken for the answer to the next one.
final class ModbusTLSLine: ModbusFramedLine {
    let host: String
    let port: Int
    let settings: ModbusTLSSettings
    private var context: ModbusTLSContext?
    private var stream: ModbusTLSStream?
    private var transactionId: UInt16 = 0
    /// Bytes received after the last complete reply.
    private var pending: [UInt8] = []

    init(host: String, port: Int, settings: ModbusTLSSettings) {
        self.host = host
        self.port = port
        self.settings = settings
    }

    var unitZeroIsBroadcast: Bool { false }

    /// Connects over TCP and completes the TLS handshake (certificates verified unless
    /// `verifyPeer` is off), all within `timeout`. Certificate files are read on the first open.
    func open(timeout: Duration) throws(ModbusError.Cause) {
        guard stream == nil else { return }
        let tls: ModbusTLSContext
        if let context { tls = context } else { tls = try ModbusTLSContext(settings, role: .client) }
        context = tls
        let deadline = ContinuousClock.now + timeout
        let fd = try Self.connectTCP(host: host, port: port, until: deadline)
        let opened = try ModbusTLSStream(fd: fd, context: tls, host: host)
        try opened.handshake(until: deadline)
        stream = opened
        pending = []
    }

    func close() {
        stream?.shutdown()
        stream = nil
        pending = []
    }

    func transact(unit: UInt8, pdu: [UInt8], timeout: Duration) throws(ModbusError.Cause) -> [UInt8] {
        guard let stream else { throw .notConnected }
        let deadline = ContinuousClock.now + timeout
        transactionId &+= 1
        let id = transactionId
        let length = pdu.count + 1
        let frame = [UInt8(id >> 8), UInt8(id & 0xFF), 0, 0, UInt8(length >> 8), UInt8(length & 0xFF), unit] + pdu
        do throws(ModbusError.Cause) {
            try stream.write(frame, until: deadline)
            while true {
                while pending.count >= 7 {
                    let declared = Int(pending[4]) << 8 | Int(pending[5])
                    // Length counts unit + PDU: 2...254 bytes (a PDU is at most 253).
                    guard (2...254).contains(declared), pending[2] == 0, pending[3] == 0 else {
                        throw ModbusError.Cause.invalidResponse("a malformed MBAP header")
                    }
                    guard pending.count >= 6 + declared else { break }
                    let replyId = UInt16(pending[0]) << 8 | UInt16(pending[1])
                    let replyUnit = pending[6]
                    let reply = Array(pending[7..<(6 + declared)])
                    pending.removeFirst(6 + declared)
                    // A late reply to an earlier (timed-out) request: dropped.
                    guard replyId == id else { continue }
                    guard replyUnit == unit else { throw ModbusError.Cause.invalidResponse("unit \(replyUnit) in the reply") }
                    return reply
                }
                pending += try stream.read(until: deadline)
            }
        } catch {
            // A malformed stream cannot be resynchronised: start over with a new connection.
            if case .invalidResponse = error { close() }
            throw error
        }
    }

    /// A non-blocking TCP connect to the first address of `host` that answers by `deadline`.
    static func connectTCP(host: String, port: Int, until deadline: ContinuousClock.Instant) throws(ModbusError.Cause) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let list else {
            throw .system(errno: EHOSTUNREACH, message: "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = ModbusError.Cause.connectionRefused
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let address = entry {
            entry = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { lastError = .init(errno: errno); continue }
            var on: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else {
                lastError = .init(errno: errno)
                _ = Glibc.close(fd)
                continue
            }
            let ready: Bool
            do { ready = try ModbusTLSStream.wait(fd, for: POLLOUT, until: deadline) } catch {
                _ = Glibc.close(fd)
                throw error
            }
            guard ready else {
                _ = Glibc.close(fd)
                throw .timeout
            }
            var failure: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &size)
            if failure == 0 { return fd }
            lastError = .init(errno: failure)
            _ = Glibc.close(fd)
        }
        throw lastError
    }
}
