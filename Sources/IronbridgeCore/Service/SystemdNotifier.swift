import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The sender side of systemd's notify protocol (sd_notify(3)): each message is one datagram of
/// newline-separated `KEY=VALUE` lines sent to the `AF_UNIX` socket named by `$NOTIFY_SOCKET` (a
/// path, or an abstract name written with a leading '@'). Written directly: no libsystemd.
public struct SystemdNotifier: Sendable {
    public let socketPath: String

    /// The notifier for `$NOTIFY_SOCKET`, or nil when the process was not started by systemd
    /// with `Type=notify` (then nothing is sent).
    public init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        socketPath = path
    }

    public init(socketPath: String) { self.socketPath = socketPath }

    /// Sends one message, e.g. "READY=1\nSTATUS=connected". Throws what failed, with errno.
    public func send(_ message: String) throws(ServiceSocketError) {
        let address = try UnixSocketAddress(path: socketPath)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .errno("creating a datagram socket for sd_notify", path: socketPath) }
        defer { close(fd) }
        let bytes = Array(message.utf8)
        var sent: Int
        repeat {
            sent = address.withSockaddr { pointer, length in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), pointer, length) }
            }
        } while sent < 0 && errno == EINTR
        guard sent == bytes.count else { throw .errno("sending '\(message.split(separator: "\n").first ?? "")' to systemd", path: socketPath) }
    }

    /// The watchdog interval systemd expects pings within (`$WATCHDOG_USEC`), or nil when the
    /// watchdog is off or meant for another process (`$WATCHDOG_PID`).
    public static func watchdogInterval(environment: [String: String] = ProcessInfo.processInfo.environment) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"], let owner = Int32(pid), owner != getpid() { return nil }
        return .microseconds(microseconds)
    }
}
