#if canImport(Glibc)
import Glibc
#endif

/// A `sockaddr_un` for a path, or for an abstract socket when the path starts with '@'
/// (systemd's spelling in `$NOTIFY_SOCKET`: the '@' stands for the leading NUL byte).
struct UnixSocketAddress {
    private(set) var storage = sockaddr_un()
    /// The length to pass to bind/connect/sendto: the family plus the used part of `sun_path`.
    let length: socklen_t

    init(path: String) throws(ServiceSocketError) {
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        // A path needs its terminating NUL; an abstract name is counted by length alone.
        guard !bytes.isEmpty, bytes.count <= (abstract ? capacity : capacity - 1) else {
            throw ServiceSocketError(operation: "using the socket address", path: path,
                                     reason: "the path is empty or longer than \(capacity - 1) bytes")
        }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        length = socklen_t(offset + bytes.count + (abstract ? 0 : 1))
    }

    /// Calls `body` with the address as a `sockaddr` pointer and its length.
    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        withUnsafePointer(to: storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}

/// A failed socket operation of the service integration: what was done, on which path, and why.
public struct ServiceSocketError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var reason: String

    public init(operation: String, path: String, reason: String) {
        self.operation = operation
        self.path = path
        self.reason = reason
    }

    /// The error for the errno just set by a failed call.
    static func errno(_ operation: String, path: String, code: Int32 = Glibc.errno) -> ServiceSocketError {
        ServiceSocketError(operation: operation, path: path, reason: "\(String(cString: strerror(code))) (errno \(code))")
    }

    public var description: String { "\(operation) on \(path) failed: \(reason)" }
}
