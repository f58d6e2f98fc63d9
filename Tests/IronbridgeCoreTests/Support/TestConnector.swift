import Foundation
import IronbridgeCore
import IronbridgeTestSupport
import Logging
import Synchronization

/// A connector for core tests: its devices come from its JSON file, the test pushes data
/// through it, and its RPCs are `echo` (replies with the params), `slow` (answers after
/// 3 s, ignoring cancellation, like blocking hardware I/O) and anything else -> error.
final class TestConnector: Connector {
    let name: String
    let type = "test"
    let devices: [DeviceInfo]
    private let context = Mutex<ConnectorContext?>(nil)
    private let updates = Mutex<[(String, [String: JSONValue])]>([])
    private let calls = Mutex<[RPCCall]>([])

    init(name: String, devices: [DeviceInfo]) {
        self.name = name
        self.devices = devices
    }

    var summary: ConnectorSummary {
        ConnectorSummary(devices: devices.map { .init(name: $0.name, type: $0.type, telemetryKeys: ["value"], attributeKeys: [], rpcMethods: ["echo", "slow"]) })
    }

    func run(context: ConnectorContext) async {
        self.context.withLock { $0 = context }
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }

    var isRunning: Bool { context.withLock { $0 != nil } }

    func send(_ records: [TelemetryRecord]) async {
        guard let context = context.withLock({ $0 }) else { fatalError("the test connector is not running") }
        context.sendTelemetry(records)
    }

    func sendAttributes(device: String, _ values: [DataPoint]) async {
        context.withLock { $0 }!.sendAttributes(device: device, values: values)
    }

    func disconnect(device: String) async { context.withLock { $0 }!.deviceDisconnected(device) }

    /// Counts an error of this connector, as a failing read would.
    func recordError() { context.withLock { $0 }!.recordError() }

    func requestShared(device: String, keys: [String]) async throws -> [String: JSONValue] {
        try await context.withLock { $0 }!.requestSharedAttributes(device: device, keys: keys, timeout: .seconds(5))
    }

    var receivedUpdates: [(String, [String: JSONValue])] { updates.withLock { $0 } }
    var receivedCalls: [RPCCall] { calls.withLock { $0 } }

    func handleRPC(_ call: RPCCall) async -> JSONValue {
        calls.withLock { $0.append(call) }
        switch call.method {
        case "echo":
            return ["echo": call.params, "device": .string(call.device)]
        case "slow":
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().asyncAfter(deadline: .now() + 3) { continuation.resume() }
            }
            return ["late": true]
        default:
            return errorReply("unknown method '\(PlatformText.clip(call.method))'")
        }
    }

    func handleAttributeUpdate(device: String, values: [String: JSONValue]) async {
        updates.withLock { $0.append((device, values)) }
    }
}

/// Reads `{"devices": [{"name": "...", "type": "..."}]}`.
struct TestConnectorFactory: ConnectorFactory {
    let type = "test"

    func makeConnector(name: String, configuration: ConfigNode, gateway: GatewayConfig, logger: Logger) -> (any Connector)? {
        var devices: [DeviceInfo] = []
        for node in configuration["devices"].arrayElements(required: true) {
            node.checkKeys(known: ["name", "type"])
            guard let deviceName = node["name"].requiredString() else { continue }
            devices.append(DeviceInfo(name: deviceName, type: node["type"].string(default: "default")))
        }
        return configuration.diagnostics.hasErrors ? nil : TestConnector(name: name, devices: devices)
    }
}

extension GatewayHarness {
    var testConnector: TestConnector { gateway.setup.connectors.first as! TestConnector }
}

/// Unix time in milliseconds.
func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
