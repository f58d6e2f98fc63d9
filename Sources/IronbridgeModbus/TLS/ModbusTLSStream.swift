import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// One TLS connection on a non-blocking TCP socket: the handshake, reads and writes, each
/// bounded by a deadline (master) or stepped when poll() says the socket is ready (server).
/// One owner thread; it owns the socket and closes it.
final class ModbusTLSStream {
    let fd: Int32
    private let ssl: OpaquePointer
    /// Set once the handshake completed.
    private(set) var isEstablished = false

    /// Takes over `fd` (made non-blocking here). For a master, `host` is checked against
    /// the server's certificate (when verifying) and sent as SNI when it is a name.
    init(fd: Int32, context: ModbusTLSContext, host: String? = nil) throws(ModbusError.Cause) {
        self.fd = fd
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        ERR_clear_error()
        guard let created = SSL_new(context.context) else {
            _ = Glibc.close(fd)
            throw .tls("cannot create a TLS connection: \(ModbusTLSContext.reason())")
        }
        ssl = created
        SSL_set_fd(created, fd)
        if context.role == .client {
            SSL_set_connect_state(created)
            if let host = context.settings.serverHostname ?? host {
                if context.settings.verifyPeer {
                    // SSL_set1_host takes an IP address or a DNS name and checks the certificate's SAN.
                    SSL_set1_host(created, host)
                }
                if !Self.isIPAddress(host) { _ = ironbridge_ssl_set_server_name(created, host) }
            }
        } else {
            SSL_set_accept_state(created)
        }
    }

    deinit {
        SSL_free(ssl)
        _ = Glibc.close(fd)
    }

    /// Sends close_notify (best effort, never blocks).
    func shutdown() {
        if isEstablished { _ = SSL_shutdown(ssl) }
    }

    enum Step { case done, wantRead, wantWrite }

    /// One handshake step; `.wantRead` / `.wantWrite` say what to poll for.
    func stepHandshake() throws(ModbusError.Cause) -> Step {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isEstablished = true
            return .done
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        default:
            let code = errno
            var reason = ModbusTLSContext.reason()
            if reason == "unknown OpenSSL error" {
                reason = code != 0 ? String(cString: strerror(code)) : "the peer closed the connection"
            }
            if let verification = ModbusError.Cause.verification(ssl) { reason += " (\(verification))" }
            throw .tls("handshake failed: \(reason)")
        }
    }

    /// The whole handshake, waiting at most until `deadline`.
    func handshake(until deadline: ContinuousClock.Instant) throws(ModbusError.Cause) {
        while true {
            switch try stepHandshake() {
            case .done: return
            case .wantRead: guard try Self.wait(fd, for: POLLIN, until: deadline) else { throw .timeout }
            case .wantWrite: guard try Self.wait(fd, for: POLLOUT, until: deadline) else { throw .timeout }
            }
        }
    }

    /// Writes all of `bytes`, waiting at most until `deadline`.
    func write(_ bytes: [UInt8], until deadline: ContinuousClock.Instant) throws(ModbusError.Cause) {
        var written = 0
        while written < bytes.count {
            ERR_clear_error()
            let count = bytes[written...].withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 { written += Int(count); continue }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_WRITE: guard try Self.wait(fd, for: POLLOUT, until: deadline) else { throw .timeout }
            case SSL_ERROR_WANT_READ: guard try Self.wait(fd, for: POLLIN, until: deadline) else { throw .timeout }
            default: throw failure(count)
            }
        }
    }

    /// Reads what is available, waiting at most until `deadline` for the first byte.
    func read(until deadline: ContinuousClock.Instant) throws(ModbusError.Cause) -> [UInt8] {
        while true {
            if let bytes = try readAvailable() { return bytes }
            guard try Self.wait(fd, for: POLLIN, until: deadline) else { throw .timeout }
        }
    }

    /// Reads without waiting: the bytes decrypted so far, or nil when none are ready yet.
    /// Throws ``ModbusError/Cause/connectionReset`` when the peer closed the connection.
    func readAvailable() throws(ModbusError.Cause) -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        for _ in 0..<16 {
            ERR_clear_error()
            let count = chunk.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 {
                bytes += chunk[0..<Int(count)]
                if SSL_pending(ssl) > 0 || Int(count) == chunk.count { continue }
                return bytes
            }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return bytes.isEmpty ? nil : bytes
            default:
                if !bytes.isEmpty { return bytes }
                throw failure(count)
            }
        }
        return bytes
    }

    private func failure(_ result: Int32) -> ModbusError.Cause {
        let kind = SSL_get_error(ssl, result)
        if kind == SSL_ERROR_ZERO_RETURN { return .connectionReset }
        if kind == SSL_ERROR_SYSCALL {
            let code = errno
            return code == 0 ? .connectionReset : ModbusError.Cause(errno: code)
        }
        return .tls(ModbusTLSContext.reason())
    }

    /// Waits until `fd` is ready for `events`; false at the deadline. An error or hang-up counts
    /// as ready: OpenSSL then reads the alert or the end of stream itself.
    static func wait(_ fd: Int32, for events: Int32, until deadline: ContinuousClock.Instant) throws(ModbusError.Cause) -> Bool {
        try DescriptorWait.ready(fd, for: events, until: deadline, onHangup: .ready)
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
