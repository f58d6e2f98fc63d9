import Foundation
import IronbridgeCore
import Logging
import Synchronization

/// A whole gateway in a test: a config.json and connector files in a temporary folder,
/// pointed at a real broker on loopback, running until `stop()`.
public final class GatewayHarness: Sendable {
    public let folder: URL
    public let gateway: Gateway
    public let logs: LogCapture
    private let task: Mutex<Task<Void, Never>?>

    /// Writes `config.json` (the `thingsboard` section points at 127.0.0.1:`brokerPort`, the
    /// `storage` section is `storage`) and the connector files, loads them with `factories` and starts the gateway.
    /// `connectors` maps a connector file name to (type, name, file JSON text).
    public init(
        brokerPort: Int, connectors: [(type: String, name: String, file: String, json: String)],
        factories: [any ConnectorFactory], thingsboardExtra: String = "", storage: String = #"{"type": "memory"}"#, folder: URL? = nil,
        drainTimeout: Duration = .seconds(2), remoteLog: RemoteLog? = nil
    ) throws {
        let folder = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-gw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        self.folder = folder
        let entries = connectors.map { "{\"type\": \"\($0.type)\", \"name\": \"\($0.name)\", \"configuration\": \"\($0.file)\"}" }
        let config = """
        {"thingsboard": {"host": "127.0.0.1", "port": \(brokerPort), "security": {"type": "accessToken", "accessToken": "test-token"},
                         "refusedRetryDelaySeconds": 1, "reconnectMaxSeconds": 1\(thingsboardExtra)},
         "storage": \(storage),
         "connectors": [\(entries.joined(separator: ", "))]}
        """
        try config.write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        for connector in connectors {
            try connector.json.write(to: folder.appendingPathComponent(connector.file), atomically: true, encoding: .utf8)
        }
        logs = LogCapture()
        var logger = logs.logger(label: "gateway", level: .debug)
        if let remoteLog {
            // As `ironbridge run` does: every line also goes to remote logging.
            let capture = logger.handler
            logger = Logger(label: "gateway") { _ in MultiplexLogHandler([capture, RemoteLogHandler(remote: remoteLog, level: .debug)]) }
            logger.logLevel = .debug
        }
        let setup = try GatewaySetup.load(configFile: folder.appendingPathComponent("config.json"), factories: factories, environment: [:], logger: logger)
        gateway = try Gateway(setup: setup, logger: logger, drainTimeout: drainTimeout, remoteLog: remoteLog)
        task = Mutex(nil)
        let gateway = self.gateway
        task.withLock { $0 = Task { await gateway.run() } }
    }

    /// Waits until the gateway is connected to the broker (at most `seconds`).
    public func waitUntilConnected(within seconds: Double = 10) async -> Bool {
        await eventually(within: seconds) { self.gateway.platform.isConnected }
    }

    /// Graceful shutdown, as on SIGTERM; waits for `run()` to return.
    public func stop() async {
        gateway.requestShutdown()
        let running = task.withLock { $0 }
        await running?.value
    }
}
