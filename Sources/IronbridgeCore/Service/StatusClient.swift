#if canImport(Glibc)
import Glibc
#endif

/// The client side: connects to the status socket and reads the report.
public enum StatusClient {
    /// The report of the gateway listening at `path`. Throws what failed (no such socket,
    /// permission denied, nobody listening, no answer within `timeoutSeconds`, not JSON).
    public static func fetch(path: String, timeoutSeconds: Int = 5) throws(ServiceSocketError) -> JSONValue {
        let address = try UnixSocketAddress(path: path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .errno("creating a socket", path: path) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard address.withSockaddr({ connect(fd, $0, $1) }) == 0 else {
            throw .errno("connecting to the gateway's status socket (is `ironbridge run` running?)", path: path)
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while received.count < 16 << 20 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw .errno("reading the status", path: path) }
            if count == 0 { break }
            received += buffer[0..<count]
        }
        do {
            return try JSONValue.parse(received)
        } catch {
            throw ServiceSocketError(operation: "reading the status", path: path, reason: "the answer is not JSON (\(error))")
        }
    }
}
