import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

/// Device-to-device messages (docs/messages.md) from a Modbus key's value conditions.
@Suite("Device-to-device messages from Modbus values", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"), .timeLimit(.minutes(1)))
struct MessagesTests {
    @Test("a key crossing a limit sends a message once per crossing, with the value in the params")
    func aValueAboveALimitSendsAMessage() async throws {
        let broker = try MosquittoBroker()
        let server = try tcpServer()
        defer { _ = server.stop() }
        server.setRegisters(.holding, at: 0, [40])
        let platform = try await PlatformStandIn(brokerPort: broker.port, options: .init(clientRPCAnswers: ["sendMsg": #"{"status":"ok"}"#]))
        let json = """
        {"master": {"slaves": [
          {"deviceName": "Boiler", "host": "127.0.0.1", "port": \(server.port!), "unitId": 1, "pollPeriod": 50, "timeout": 1,
           "byteOrder": "BIG", "wordOrder": "BIG",
           "timeseries": [{"tag": "temperature", "type": "16uint", "functionCode": 3, "address": 0,
                           "messages": [{"when": "above", "value": 50, "target": "Controller A", "minIntervalMs": 0,
                                         "params": {"alarm": "hot", "celsius": "${value}", "sensor": "${deviceName}/${key}"}}]}]}]}}
        """
        let harness = try GatewayHarness(brokerPort: broker.port, connectors: [(type: "modbus", name: "Modbus", file: "modbus.json", json: json)],
                                         factories: [ModbusConnectorFactory()])
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { platform.telemetry(of: "Boiler").contains { ($0.values["temperature"] as? Int) == 40 } })
        #expect(platform.clientRPCs(method: "sendMsg").isEmpty)

        server.setRegisters(.holding, at: 0, [60])
        #expect(await eventually(within: 10) { platform.clientRPCs(method: "sendMsg").count == 1 })
        let params = try #require(platform.clientRPCs(method: "sendMsg").first?.request["params"] as? [String: Any])
        #expect(params["fromDevice"] as? String == "Boiler" && params["device"] as? String == "Controller A" && params["key"] as? String == "temperature")
        let body = try #require(params["body"] as? [String: Any])
        #expect(body["celsius"] as? Int == 60 && body["alarm"] as? String == "hot" && body["sensor"] as? String == "Boiler/temperature")

        // Staying above sends nothing; going below and above again sends once more.
        server.setRegisters(.holding, at: 0, [70])
        #expect(await eventually(within: 10) { platform.telemetry(of: "Boiler").contains { ($0.values["temperature"] as? Int) == 70 } })
        try await Task.sleep(for: .milliseconds(200))
        #expect(platform.clientRPCs(method: "sendMsg").count == 1)
        server.setRegisters(.holding, at: 0, [30])
        #expect(await eventually(within: 10) { platform.telemetry(of: "Boiler").contains { ($0.values["temperature"] as? Int) == 30 } })
        server.setRegisters(.holding, at: 0, [80])
        #expect(await eventually(within: 10) { platform.clientRPCs(method: "sendMsg").count == 2 })
        #expect(await eventually(within: 10) { harness.gateway.messenger.statistics.succeeded == 2 })
        #expect(await eventually(within: 10) {
            platform.telemetry(of: "Boiler").compactMap { $0.values["message_result"] as? [String: Any] }.filter { $0["status"] as? String == "ok" }.count == 2
        })
        await harness.stop()
        await platform.stop()
    }

    @Test("a local Modbus target is written through its RPC handler, and its write policy refuses as for a platform RPC")
    func aLocalModbusTargetIsWrittenUnderItsWritePolicy() async throws {
        let broker = try MosquittoBroker()
        let server = try tcpServer(unitIds: [1, 2])
        defer { _ = server.stop() }
        server.setRegisters(.holding, at: 0, [40])
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let json = """
        {"master": {"slaves": [
          {"deviceName": "Boiler", "host": "127.0.0.1", "port": \(server.port!), "unitId": 1, "pollPeriod": 50, "timeout": 1, "byteOrder": "BIG",
           "timeseries": [{"tag": "temperature", "type": "16uint", "functionCode": 3, "address": 0,
                           "messages": [{"when": "above", "value": 50, "target": "Fan", "method": "setSpeed", "params": {"value": "${value}"}},
                                        {"when": "above", "value": 50, "target": "Fan", "method": "set",
                                         "params": "type=16uint;functionCode=6;objectsCount=1;address=200;value=1;"}]}]},
          {"deviceName": "Fan", "host": "127.0.0.1", "port": \(server.port!), "unitId": 2, "pollPeriod": 1000, "timeout": 1, "byteOrder": "BIG",
           "rpc": [{"tag": "setSpeed", "type": "16uint", "functionCode": 6, "address": 10}]}]}}
        """
        let harness = try GatewayHarness(brokerPort: broker.port, connectors: [(type: "modbus", name: "Modbus", file: "modbus.json", json: json)],
                                         factories: [ModbusConnectorFactory()])
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { platform.telemetry(of: "Boiler").contains { ($0.values["temperature"] as? Int) == 40 } })
        server.setRegisters(.holding, at: 0, [60])
        #expect(await eventually(within: 10) { server.registers(.holding, at: 10, count: 1) == [60] })
        let results = { platform.telemetry(of: "Boiler").compactMap { $0.values["message_result"] as? [String: Any] } }
        #expect(await eventually(within: 10) { results().count == 2 })
        let byMethod = Dictionary(results().map { ($0["method"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byMethod["setSpeed"]?["status"] as? String == "ok" && byMethod["setSpeed"]?["local"] as? Bool == true)
        let refusal = ((byMethod["set"]?["reply"] as? [String: Any])?["result"] as? [String: Any])?["error"] as? String
        #expect(byMethod["set"]?["status"] as? String == "error", "\(String(describing: byMethod["set"]))")
        #expect(refusal?.contains("allowedWrites") == true, "\(String(describing: refusal))")
        #expect(server.registers(.holding, at: 200, count: 1) == [0])
        #expect(platform.clientRPCs(method: "setSpeed").isEmpty && platform.clientRPCs(method: "sendMsg").isEmpty)
        await harness.stop()
        await platform.stop()
    }

    @Test("message entries are read with their errors naming file and JSON path")
    func configurationErrorsNameTheirPath() throws {
        let json = """
        {"master": {"slaves": [
          {"deviceName": "Boiler", "host": "127.0.0.1", "port": 502,
           "timeseries": [{"tag": "t", "type": "16uint", "functionCode": 3, "address": 0,
                           "messages": [{"when": "above", "target": "X"}, {"edge": "rising", "target": "Y"}, {"when": "equal", "value": "on", "target": "Z"}]}],
           "rpc": [{"tag": "setT", "type": "16uint", "functionCode": 6, "address": 1, "messages": [{"target": "X"}]}]}]}}
        """
        let (_, diagnostics) = try loadModbus(json)
        let errors = diagnostics.errors.map(\.description)
        #expect(errors.contains("error: connectors/modbus.json: $.master.slaves[0].timeseries[0].messages[0].value: is required with \"when\": \"above\" (a number)"), "\(errors)")
        #expect(errors.contains { $0.hasPrefix("error: connectors/modbus.json: $.master.slaves[0].timeseries[0].messages[1].edge: \"edge\" applies to GPIO inputs") }, "\(errors)")
        #expect(errors.contains { $0.contains("$.master.slaves[0].rpc[0].messages: messages are sent on values the gateway reads") } == false,
                "rpc entries are read in isolation: their errors become warnings")
        #expect(diagnostics.all.contains { $0.path == "$.master.slaves[0].rpc[0].messages" })

        let good = """
        {"master": {"slaves": [
          {"deviceName": "Boiler", "host": "127.0.0.1", "port": 502,
           "timeseries": [{"tag": "state", "type": "16uint", "functionCode": 3, "address": 0,
                           "messages": [{"when": "equal", "value": 3, "target": "Z", "method": "alarm"}, {"target": "Q"}]}]}]}}
        """
        let (connector, goodDiagnostics) = try loadModbus(good)
        #expect(goodDiagnostics.errors.isEmpty, "\(goodDiagnostics.errors)")
        let rules = try #require(connector?.messageRules)
        #expect(rules.map(\.trigger) == [.equal(3), .changed])
        #expect(rules.map(\.device) == ["Boiler", "Boiler"] && rules.map(\.key) == ["state", "state"])
        #expect(rules[0].method == "alarm" && rules[1].method == "sendMsg" && rules[1].minIntervalMs == 1000 && rules[1].expiryMs == 300_000)
    }
}
