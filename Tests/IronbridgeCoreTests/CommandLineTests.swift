import Foundation
import IronbridgeTestSupport
import Testing

/// The `ironbridge` executable built next to the test binary.
enum Executable {
    static var path: String { IronbridgeExecutable.path }
    static var isBuilt: Bool { IronbridgeExecutable.isBuilt }

    /// Runs the executable to completion (at most `timeout` s); returns its exit status and output.
    static func run(_ arguments: [String], timeout: Double = 60, environment: [String: String]? = nil) throws -> (status: Int32?, output: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-cli-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: output) }
        let child = try ChildProcess(path, arguments, outputFile: output.path, environment: environment)
        let status = child.waitForExit(timeout: timeout)
        if status == nil { child.signal(SIGKILL) }
        return (status, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }
}

/// The repository's root, for the example configuration.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("the ironbridge command line", .enabled(if: Executable.isBuilt, "the ironbridge executable is not built"))
struct CommandLineTests {
    @Test("check names a missing config file and exits 2")
    func checkMissingConfig() throws {
        let (status, output) = try Executable.run(["check", "--config", "/nonexistent/ironbridge.json"])
        #expect(status == 2)
        #expect(output.contains("/nonexistent/ironbridge.json: $: the file does not exist"), "\(output)")
    }

    @Test("check lists every error of a bad config and exits 2")
    func checkBadConfig() throws {
        let folder = try ConfigFolder(["config.json": #"{"thingsboard": {"port": 99999, "security": {"type": "accessToken"}}, "connectors": [{"type": "canbus", "name": "C", "configuration": "c.json"}]}"#])
        let (status, output) = try Executable.run(["check", "--config", folder.url.appendingPathComponent("config.json").path])
        #expect(status == 2)
        #expect(output.contains("$.thingsboard.host: is required"), "\(output)")
        #expect(output.contains("$.thingsboard.port: 99999 is out of range"), "\(output)")
        #expect(output.contains("$.thingsboard.security.accessToken: is required"), "\(output)")
        #expect(output.contains("unknown connector type 'canbus'"), "\(output)")
    }

    @Test("run with a malformed config exits 2 with one clear message")
    func runMalformedConfig() throws {
        let folder = try ConfigFolder(["config.json": "{\"thingsboard\": "])
        let (status, output) = try Executable.run(["run", "--config", folder.url.appendingPathComponent("config.json").path])
        #expect(status == 2)
        #expect(output.contains("config.json: $: unexpected end of input at line 1"), "\(output)")
    }

    @Test("an invalid --log-level is refused")
    func badLogLevel() throws {
        let (status, output) = try Executable.run(["check", "--log-level", "loud"])
        #expect(status != 0 && status != nil)
        #expect(output.contains("--log-level 'loud'"), "\(output)")
    }

    @Test("the repository's config.json passes check and lists its devices")
    func checkRepositoryConfig() throws {
        let (status, output) = try Executable.run(["check", "--config", repositoryRoot.appendingPathComponent("config.json").path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("configuration OK"), "\(output)")
        #expect(output.contains("connector 'Modbus Connector' (modbus)"), "\(output)")
        #expect(output.contains("connector 'GPIO Connector' (gpio)"), "\(output)")
    }

    @Test("run with rejected credentials says so once per slow retry, and SIGTERM stops it cleanly",
          .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
    func runRejectedCredentials() throws {
        let broker = try MosquittoBroker(users: ["gateway": "right"])
        let config = #"{"thingsboard": {"host": "127.0.0.1", "port": \#(broker.port), "refusedRetryDelaySeconds": 30, "security": {"type": "usernamePassword", "clientId": "gw", "username": "gateway", "password": "wrong"}}, "connectors": []}"#
        let folder = try ConfigFolder(["config.json": config])
        let log = folder.url.appendingPathComponent("gateway.log").path
        let child = try ChildProcess(Executable.path, ["run", "--config", folder.url.appendingPathComponent("config.json").path], outputFile: log)
        var output = ""
        for _ in 0..<200 {
            output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if output.contains("rejected by 127.0.0.1:\(broker.port)") { break }
            usleep(50_000)
        }
        #expect(output.contains("rejected by 127.0.0.1:\(broker.port)"), "\(output)")
        #expect(output.contains("retrying in 30 s"), "\(output)")
        usleep(1_000_000)
        output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(output.components(separatedBy: "rejected by").count - 1 == 1, "retried too soon: \(output)")
        #expect(child.isRunning)
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 10) == 0)
    }

    @Test("run delivers data and stops on SIGTERM with exit 0",
          .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
    func runAndStop() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let config = #"{"thingsboard": {"host": "127.0.0.1", "port": \#(broker.port), "security": {"type": "accessToken", "accessToken": "t"}}, "connectors": []}"#
        let folder = try ConfigFolder(["config.json": config])
        let child = try ChildProcess(Executable.path, ["run", "--config", folder.url.appendingPathComponent("config.json").path],
                                     outputFile: folder.url.appendingPathComponent("gateway.log").path)
        // Ping until the gateway is up and subscribed (a request sent before that is not delivered).
        var pong: [String: Any]?
        for id in 1...40 where pong == nil {
            pong = try await platform.gatewayRPC(id: id, method: "gateway_ping", params: [String: Any](), within: 0.5) as? [String: Any]
        }
        #expect(pong?["resp"] as? String == "pong")
        child.signal(SIGTERM)
        #expect(child.waitForExit(timeout: 10) == 0)
        await platform.stop()
    }
}
