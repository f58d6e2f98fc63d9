import Foundation

/// A real mosquitto broker on a free loopback port, owned by one test.
/// It writes its own config file into a temporary folder and runs in the foreground as a
/// child process; `stop()` (or deinit) kills it. `restart()` keeps the same port.
public final class MosquittoBroker: @unchecked Sendable {
    // @unchecked Sendable: `process` is only touched under `lock`.
    public let port: Int
    public let directory: URL
    private let configFile: URL
    private let lock = NSLock()
    private var process: ChildProcess?

    /// Users and passwords for a `password_file`; empty means anonymous access.
    /// With `tls`, the listener speaks TLS with the server certificate of `tls`; with
    /// `requireClientCertificate` it also demands a client certificate signed by its CA.
    /// With `acl`, the text of an `acl_file` (rules for anonymous clients come first);
    /// ``reload(acl:)`` replaces it while the broker runs.
    public init(users: [String: String] = [:], tls: TestCertificates? = nil, requireClientCertificate: Bool = false, acl: String? = nil) throws {
        port = try Loopback.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-mosquitto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        configFile = directory.appendingPathComponent("mosquitto.conf")
        var config = "listener \(port) 127.0.0.1\nuser root\npersistence false\nset_tcp_nodelay true\nlog_dest stderr\nlog_type error\nlog_type warning\nmax_inflight_messages 100\n"
        if let acl {
            let aclFile = directory.appendingPathComponent("acl")
            try acl.write(to: aclFile, atomically: true, encoding: .utf8)
            config += "acl_file \(aclFile.path)\n"
        }
        if let tls {
            config += "cafile \(tls.caFile)\ncertfile \(tls.serverCertFile)\nkeyfile \(tls.serverKeyFile)\n"
            if requireClientCertificate { config += "require_certificate true\nuse_identity_as_username true\n" }
        }
        if users.isEmpty {
            config += "allow_anonymous true\n"
        } else {
            let passwordFile = directory.appendingPathComponent("passwd")
            try "".write(to: passwordFile, atomically: true, encoding: .utf8)
            for (user, password) in users.sorted(by: { $0.key < $1.key }) {
                try Self.runTool("/usr/bin/mosquitto_passwd", ["-b", passwordFile.path, user, password])
            }
            config += "allow_anonymous false\npassword_file \(passwordFile.path)\n"
        }
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: executablePath) }
    static let executablePath = "/usr/sbin/mosquitto"

    public func start() throws {
        let child = try ChildProcess(Self.executablePath, ["-c", configFile.path], outputFile: directory.appendingPathComponent("mosquitto.log").path)
        lock.withLock { process = child }
        var attempts = 0
        while !Loopback.isListening(port: port) {
            attempts += 1
            guard attempts < 500, child.isRunning else {
                throw TestSupportError("mosquitto did not start listening on 127.0.0.1:\(port) within 5 s")
            }
            usleep(10_000)
        }
    }

    public func stop() {
        let child: ChildProcess? = lock.withLock {
            defer { process = nil }
            return process
        }
        guard let child, child.isRunning else { return }
        child.signal(SIGTERM)
        if child.waitForExit(timeout: 5) == nil {
            child.signal(SIGKILL)
            child.waitForExit(timeout: 5)
        }
    }

    /// Replaces the ACL and makes the running broker read it again (SIGHUP).
    public func reload(acl: String) throws {
        try acl.write(to: directory.appendingPathComponent("acl"), atomically: true, encoding: .utf8)
        lock.withLock { process }?.signal(SIGHUP)
    }

    public func restart() throws {
        stop()
        try start()
    }

    private static func runTool(_ path: String, _ arguments: [String]) throws {
        let tool = try ChildProcess(path, arguments)
        let status = tool.waitForExit(timeout: 10)
        guard status == 0 else { throw TestSupportError("\(path) \(arguments) exited \(status.map(String.init) ?? "not in 10 s")") }
    }
}
