import Foundation

/// A socket a test owns in systemd's place: an `AF_UNIX` datagram socket at a temporary path
/// whose path goes into a child's `$NOTIFY_SOCKET`. A thread receives every sd_notify message
/// and keeps it with its arrival time.
public final class NotifySocketListener: @unchecked Sendable {
    // @unchecked Sendable: `received` and `stopped` are only touched under `lock`; `fd` and
    // `path` are immutable.
    public struct Message: Sendable {
        public var text: String
        public var at: ContinuousClock.Instant
        /// The message's `KEY=VALUE` lines as a dictionary.
        public var fields: [String: String] {
            var result: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                result[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return result
        }
    }

    public let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [Message] = []
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    public init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket(AF_UNIX, SOCK_DGRAM) failed: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TestSupportError("notify socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw TestSupportError("bind \(path) failed: \(String(cString: strerror(errno)))")
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in receiveLoop() }
        thread.start()
    }

    deinit { stop() }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !lock.withLock({ stopped }) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { continue }
            let message = Message(text: String(decoding: buffer[0..<count], as: UTF8.self), at: .now)
            lock.withLock { received.append(message) }
        }
        finished.signal()
    }

    /// Every message so far, oldest first.
    public var messages: [Message] { lock.withLock { received } }

    /// Messages carrying `KEY=VALUE` (e.g. "READY=1").
    public func messages(with line: String) -> [Message] {
        messages.filter { $0.text.split(separator: "\n").contains(Substring(line)) }
    }

    public func stop() {
        let wasRunning = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard wasRunning else { return }
        finished.wait()
        close(fd)
        unlink(path)
    }
}
