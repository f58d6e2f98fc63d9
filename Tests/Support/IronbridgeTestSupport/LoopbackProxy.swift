import Foundation

/// A TCP relay on 127.0.0.1 between the gateway and the broker, that a test can cut and
/// restore: the gateway then sees what it sees when the platform goes away (connections
/// closed, connects refused), while the platform stand-in stays connected to the broker and
/// misses nothing. One thread accepts; two threads per connection copy bytes.
public final class LoopbackProxy: @unchecked Sendable {
    // @unchecked Sendable: `listener` and `sockets` are only touched under `lock`.
    public let port: Int
    private let target: Int
    private let lock = NSLock()
    private var listener: Int32 = -1
    private var sockets: Set<Int32> = []
    /// Pumps still running per connection (keyed by the client socket); the last one closes both sockets.
    private var running: [Int32: Int] = [:]

    public init(to targetPort: Int) throws {
        port = try Loopback.freePort()
        target = targetPort
        try open()
    }

    deinit { cut() }

    /// Listens again on the same port.
    public func open() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("proxy socket() failed: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw TestSupportError("proxy cannot listen on 127.0.0.1:\(port): errno \(errno)")
        }
        lock.withLock { listener = fd }
        let thread = Thread { [weak self] in self?.acceptLoop(fd) }
        thread.name = "test-proxy-accept"
        thread.start()
    }

    /// Closes the listener and every relayed connection.
    public func cut() {
        let (fd, open) = lock.withLock { () -> (Int32, Set<Int32>) in
            defer { listener = -1 }
            return (listener, sockets)
        }
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
        for socket in open { shutdown(socket, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop(_ fd: Int32) {
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(target)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
            var yes: Int32 = 1
            for socket in [client, upstream] { setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size)) }
            let accepted = lock.withLock { () -> Bool in
                guard listener == fd, connected else { return false }
                sockets.formUnion([client, upstream])
                running[client] = 2
                return true
            }
            guard accepted else { close(client); close(upstream); continue }
            for (from, to) in [(client, upstream), (upstream, client)] {
                let pump = Thread { [weak self] in self?.copy(from: from, to: to, connection: client) }
                pump.name = "test-proxy-pump"
                pump.start()
            }
        }
    }

    private func copy(from: Int32, to: Int32, connection: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress!, $0.count) }
            if count <= 0 { break }
            var sent = 0
            while sent < count {
                let written = buffer.withUnsafeBytes { write(to, $0.baseAddress! + sent, count - sent) }
                if written <= 0 { break }
                sent += written
            }
            if sent < count { break }
        }
        shutdown(from, Int32(SHUT_RDWR))
        shutdown(to, Int32(SHUT_RDWR))
        let last = lock.withLock { () -> Bool in
            let left = (running[connection] ?? 1) - 1
            running[connection] = left > 0 ? left : nil
            if left == 0 { sockets.subtract([from, to]) }
            return left == 0
        }
        if last { close(from); close(to) }
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
