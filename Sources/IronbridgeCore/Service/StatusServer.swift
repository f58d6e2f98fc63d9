import IronbridgeSystem
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Answers `ironbridge status` on a local Unix stream socket: each client that connects gets
/// the current report as one JSON document, then the connection is closed. The socket file is
/// made with mode 0660 (the service user and its group), an old one left by a crash is
/// replaced, and the file is removed on stop.
///
/// One dedicated thread accepts (poll(2) with a short timeout, so a stop takes effect within
/// it); `report` must not block (``Gateway/statusReport()`` reads memory only).
public final class StatusServer: Sendable {
    public let path: String
    private let report: @Sendable () -> JSONValue
    private let logger: Logger
    private let listener: Int32
    private let stopRequested = Atomic<Bool>(false)
    private let finished = AsyncState(false)

    /// Binds and listens at `path`. Throws what failed (bind, chmod, ...), naming the path.
    public init(path: String, logger: Logger, report: @escaping @Sendable () -> JSONValue) throws(ServiceSocketError) {
        self.path = path
        self.report = report
        self.logger = logger
        let address = try UnixSocketAddress(path: path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .errno("creating the status socket", path: path) }
        do throws(ServiceSocketError) {
            try Self.removeStaleSocket(at: path)
            let bound = address.withSockaddr { bind(fd, $0, $1) }
            guard bound == 0 else { throw .errno("binding the status socket", path: path) }
            guard chmod(path, 0o660) == 0 else { throw .errno("setting mode 0660 on the status socket", path: path) }
            guard listen(fd, 8) == 0 else { throw .errno("listening on the status socket", path: path) }
        } catch {
            close(fd)
            throw error
        }
        listener = fd
    }

    /// A socket file left by a process that died is in the way of bind(2); anything else is not ours to delete.
    private static func removeStaleSocket(at path: String) throws(ServiceSocketError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw ServiceSocketError(operation: "creating the status socket", path: path, reason: "a file that is not a socket is in the way")
        }
        guard unlink(path) == 0 else { throw .errno("removing the old status socket", path: path) }
    }

    /// Serves until `stop()`, on its own thread.
    public func start() {
        let thread = SystemThread { [self] in
            self.serve()
            close(self.listener)
            unlink(self.path)
            self.finished.withLock { $0 = true }
        }
        thread.name = "ironbridge-status"
        thread.start()
    }

    /// Stops accepting, removes the socket file, and returns once the thread has ended.
    public func stop() async {
        stopRequested.store(true, ordering: .releasing)
        await finished.waitEvenIfCancelled(until: { $0 })
    }

    private func serve() {
        while !stopRequested.load(ordering: .acquiring) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 200)
            if ready < 0 && errno != EINTR {
                logger.error("\(ServiceSocketError.errno("waiting for status clients", path: path)); status is not served any more")
                return
            }
            guard ready > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            answer(client)
        }
    }

    /// Writes the report and closes; a client that does not read within 2 s is dropped.
    private func answer(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = report().jsonBytes + [UInt8(ascii: "\n")]
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
