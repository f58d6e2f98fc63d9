import Foundation

/// A throw-away PKI for TLS tests, made with the openssl command line: a CA, a server
/// certificate for 127.0.0.1 signed by it, a client certificate signed by it, and a second,
/// unrelated CA (to show that verification fails against the wrong one).
public struct TestCertificates: Sendable {
    public let folder: URL
    public var caFile: String { folder.appendingPathComponent("ca.pem").path }
    public var otherCAFile: String { folder.appendingPathComponent("other-ca.pem").path }
    public var serverCertFile: String { folder.appendingPathComponent("server.pem").path }
    public var serverKeyFile: String { folder.appendingPathComponent("server.key").path }
    public var clientCertFile: String { folder.appendingPathComponent("client.pem").path }
    public var clientKeyFile: String { folder.appendingPathComponent("client.key").path }

    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    public init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let dir = folder.path
        try Self.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=ironbridge test CA",
                          "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.pem"])
        try Self.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=some other CA",
                          "-keyout", "\(dir)/other-ca.key", "-out", "\(dir)/other-ca.pem"])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: "\(dir)/server.ext", atomically: true, encoding: .utf8)
        for (name, subject, extensions) in [("server", "/CN=127.0.0.1", ["-extfile", "\(dir)/server.ext"]), ("client", "/CN=gateway-1", [])] {
            try Self.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).csr"])
            try Self.openssl(["x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key",
                              "-CAcreateserial", "-days", "2", "-out", "\(dir)/\(name).pem"] + extensions)
        }
    }

    private static func openssl(_ arguments: [String]) throws {
        let tool = try ChildProcess("/usr/bin/openssl", arguments)
        guard tool.waitForExit(timeout: 30) == 0 else { throw TestSupportError("openssl \(arguments.prefix(2).joined(separator: " ")) failed") }
    }
}
