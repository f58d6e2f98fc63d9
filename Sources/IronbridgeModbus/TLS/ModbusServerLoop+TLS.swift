import CModbus
#if canImport(Glibc)
import Glibc
#endif

/// Serving Modbus TCP over TLS. Each client's TLS stream is decrypted here and cut into
/// MBAP frames; each request is answered by the same code as plain TCP (`handle`, which
/// applies faults and calls libmodbus's `modbus_reply` on the register map). libmodbus
/// writes that reply to one end of a socket pair; it is read from the other end and sent
/// to the client through its TLS stream. All on the serving thread: handshakes and reads
/// are stepped when poll() reports the socket ready, so a slow client does not stall others.
extension ModbusServerLoop {
    private final class TLSClient {
        let stream: ModbusTLSStream
        var buffer: [UInt8] = []
        var waitFor = POLLIN
        let accepted = ContinuousClock.now
        init(_ stream: ModbusTLSStream) { self.stream = stream }
    }

    /// A handshake not finished within this is dropped (its slot freed).
    static let tlsHandshakeTimeout: Duration = .seconds(10)

    func serveTLS(listener: Int32, tls: ModbusTLSContext) {
        guard let replies = ReplyPair(for: context) else { return }
        defer { replies.close() }
        var clients: [TLSClient] = []
        var request = [UInt8](repeating: 0, count: Int(MODBUS_MAX_ADU_LENGTH))
        while true {
            var entries = [wake.readEnd, listener].map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            entries += clients.map { pollfd(fd: $0.stream.fd, events: Int16($0.waitFor), revents: 0) }
            let handshaking = clients.contains { !$0.stream.isEstablished }
            let ready = poll(&entries, nfds_t(entries.count), handshaking ? 1000 : -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if entries[0].revents != 0 { return }
            var dropped = Set<Int32>()
            for (client, entry) in zip(clients, entries.dropFirst(2)) {
                if entry.revents != 0 {
                    if !serve(client, request: &request, replies: replies.readEnd) { dropped.insert(client.stream.fd) }
                } else if !client.stream.isEstablished, ContinuousClock.now - client.accepted > Self.tlsHandshakeTimeout {
                    dropped.insert(client.stream.fd)
                }
            }
            clients.removeAll { dropped.contains($0.stream.fd) }
            if entries[1].revents & Int16(POLLIN) != 0, let client = acceptTLSClient(from: listener, tls: tls, count: clients.count) {
                clients.append(client)
            }
        }
    }

    private func acceptTLSClient(from listener: Int32, tls: ModbusTLSContext, count: Int) -> TLSClient? {
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        guard count < maxClients else {
            close(fd)
            return nil
        }
        var on: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        guard let stream = try? ModbusTLSStream(fd: fd, context: tls) else { return nil }
        return TLSClient(stream)
    }

    /// Steps the handshake or reads and answers complete requests; false drops the client.
    private func serve(_ client: TLSClient, request: inout [UInt8], replies: Int32) -> Bool {
        do throws(ModbusError.Cause) {
            if !client.stream.isEstablished {
                switch try client.stream.stepHandshake() {
                case .wantRead: client.waitFor = POLLIN; return true
                case .wantWrite: client.waitFor = POLLOUT; return true
                case .done: client.waitFor = POLLIN
                }
            }
            guard let bytes = try client.stream.readAvailable() else { return true }
            client.buffer += bytes
            while client.buffer.count >= 7 {
                let declared = Int(client.buffer[4]) << 8 | Int(client.buffer[5])
                // Length counts unit + PDU; anything else is not Modbus: drop the client.
                guard (2...254).contains(declared) else { return false }
                let length = 6 + declared
                guard client.buffer.count >= length else { break }
                for index in 0..<length { request[index] = client.buffer[index] }
                client.buffer.removeFirst(length)
                guard handle(&request, length: Int32(length)) else { return false }
                var reply: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 512)
                for _ in 0..<8 {
                    let count = chunk.withUnsafeMutableBytes { read(replies, $0.baseAddress, $0.count) }
                    if count <= 0 { break }
                    reply += chunk[0..<count]
                }
                if !reply.isEmpty { try client.stream.write(reply, until: .now + .seconds(2)) }
            }
            return true
        } catch {
            return false
        }
    }
}
