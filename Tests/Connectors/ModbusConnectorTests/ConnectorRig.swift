import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
import Logging
@testable import ModbusConnector
import Synchronization

/// Loads a connector file's JSON text; returns the connector (nil on errors) and all diagnostics.
func loadModbus(_ json: String, file: String = "connectors/modbus.json", gatewayStrategy: JSONValue? = nil,
                logs: LogCapture = LogCapture()) throws -> (ModbusConnector?, ConfigDiagnostics) {
    let diagnostics = ConfigDiagnostics()
    let value = try JSONValue.parse(Array(json.utf8))
    let node = ConfigNode(value: value, file: file, diagnostics: diagnostics)
    let connector = ModbusConnectorFactory().makeModbusConnector(
        name: "Modbus", configuration: node, gatewayReportStrategy: gatewayStrategy, logger: logs.logger(label: "modbus", level: .debug))
    return (connector, diagnostics)
}

/// A connector running against an in-memory store (no broker): what it uploads can be read back.
final class ConnectorRig: Sendable {
    let connector: ModbusConnector
    let store = UploadBuffer(capacity: 100_000)
    let registry = DeviceRegistry()
    let logs: LogCapture
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(_ json: String) throws {
        logs = LogCapture()
        let (connector, diagnostics) = try loadModbus(json, logs: logs)
        guard let connector else { throw TestSupportError("config errors: \(diagnostics.errors)") }
        self.connector = connector
        for device in connector.devices { registry.register(device, connector: "Modbus") }
        let context = ConnectorContext(connectorName: "Modbus", store: store, registry: registry, statistics: GatewayStatistics(),
                                       platform: nil, logger: logs.logger(label: "context", level: .debug))
        task.withLock { $0 = Task { await connector.run(context: context) } }
    }

    func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        await running?.value
    }

    var uploads: [Upload] {
        get async { await store.peek(maxCount: 1_000_000).map(\.upload) }
    }

    /// Telemetry records of `device`, in order.
    func telemetry(of device: String) async -> [TelemetryRecord] {
        await uploads.compactMap { if case .telemetry(let record) = $0, record.device == device { record } else { nil } }
    }

    /// The latest value of `key` reported for `device`.
    func latest(_ key: String, of device: String) async -> JSONValue? {
        await telemetry(of: device).reversed().lazy.compactMap { $0.values.first { $0.key == key }?.value }.first
    }

    /// connect/disconnect events of `device`, as "connect"/"disconnect".
    func presence(of device: String) async -> [String] {
        await uploads.compactMap {
            switch $0 {
            case .connect(let name, _) where name == device: "connect"
            case .disconnect(let name) where name == device: "disconnect"
            default: nil
            }
        }
    }

    func rpc(_ device: String, _ method: String, _ params: JSONValue = .null) async -> JSONValue {
        await connector.handleRPC(RPCCall(device: device, id: 1, method: method, params: params))
    }
}

/// A TCP simulator-less server on a free loopback port.
func tcpServer(port: Int = 0, unitIds: Set<Int>? = nil) throws -> ModbusServer {
    try ModbusServer(.tcp(host: "127.0.0.1", port: port),
                     configuration: .init(coils: 200, discreteInputs: 200, holdingRegisters: 300, inputRegisters: 300, unitIds: unitIds))
}

/// `{"result":{"value":X}}` -> X.
func resultValue(_ reply: JSONValue) -> JSONValue? { reply["result"]?["value"] }
func resultError(_ reply: JSONValue) -> String? { reply["result"]?["error"]?.stringValue }
