import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

@Suite("Modbus connector through a whole gateway and a real mosquitto", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct EndToEndTests {
    @Test("telemetry, RPC, attribute updates and the shared-attribute sync on connect travel the Gateway MQTT API")
    func gatewayRoundTrip() async throws {
        let broker = try MosquittoBroker()
        let simulator = try ModbusSimulator(.tcp(host: "127.0.0.1", port: 0), period: .milliseconds(50))
        defer { simulator.stop() }
        let port = simulator.server.port!
        let platform = try await PlatformStandIn(brokerPort: broker.port, options: .init(sharedAttributes: ["Meter 1": ["setpoint": "321"]]))
        let json = """
        {"master": {"slaves": [
          {"deviceName": "Meter 1", "deviceType": "meter", "host": "127.0.0.1", "port": \(port), "unitId": 1, "pollPeriod": 100,
           "timeout": 1, "byteOrder": "BIG", "wordOrder": "BIG",
           "attributes": [{"tag": "model", "type": "string", "functionCode": 3, "objectsCount": 2, "address": 100}],
           "timeseries": [{"tag": "counter", "type": "16uint", "functionCode": 3, "address": 0},
                          {"tag": "wave", "type": "32float", "functionCode": 4, "objectsCount": 2, "address": 2}],
           "attributeUpdates": [{"tag": "setpoint", "type": "16uint", "functionCode": 6, "address": 5}],
           "rpc": [{"tag": "setLimit", "type": "16int", "functionCode": 6, "address": 6}]},
          {"deviceName": "Meter 2", "host": "127.0.0.1", "port": \(port), "unitId": 2, "pollPeriod": 100, "timeout": 1, "byteOrder": "BIG",
           "timeseries": [{"tag": "counter", "type": "16uint", "functionCode": 4, "address": 0}]}]}}
        """
        simulator.server.setRegisters(.holding, at: 100, [0x4D31, 0x0000])
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [(type: "modbus", name: "Modbus", file: "modbus.json", json: json)],
                                         factories: [ModbusConnectorFactory()])
        #expect(await gateway.waitUntilConnected())

        let connect = await platform.waitFor("v1/gateway/connect") { $0["device"] as? String == "Meter 1" }
        #expect(connect?["type"] as? String == "meter")
        #expect(await eventually(within: 10) { platform.telemetry(of: "Meter 1").count >= 3 && platform.telemetry(of: "Meter 2").count >= 3 })
        let sample = try #require(platform.telemetry(of: "Meter 1").last)
        #expect(sample.ts != nil)
        #expect(sample.values["counter"] is NSNumber)
        #expect(sample.values["wave"] is NSNumber)
        let attributes = await platform.waitFor("v1/gateway/attributes") { ($0["Meter 1"] as? [String: Any])?["model"] != nil }
        #expect((attributes?["Meter 1"] as? [String: Any])?["model"] as? String == "M1")

        // On connect the gateway asked for the shared attribute and wrote it.
        #expect(await eventually(within: 10) { simulator.server.registers(.holding, at: 5, count: 1) == [321] })

        let reply = try await platform.rpc(device: "Meter 1", id: 7, method: "setLimit", params: ["value": -3])
        #expect((reply?["result"] as? [String: Any])?["value"] as? Int == -3)
        #expect(simulator.server.registers(.holding, at: 6, count: 1) == [0xFFFD])
        let read = try await platform.rpc(device: "Meter 2", id: 8, method: "get", params: "type=16uint;functionCode=3;objectsCount=1;address=6;")
        #expect((read?["result"] as? [String: Any])?["value"] as? Int == 0xFFFD)
        let bad = try await platform.rpc(device: "Meter 2", id: 9, method: "get", params: "address=6")
        #expect(((bad?["result"] as? [String: Any])?["error"] as? String)?.hasPrefix("get: 'type' is missing") == true)

        try await platform.updateSharedAttributes(device: "Meter 1", ["setpoint": 77])
        #expect(await eventually(within: 10) { simulator.server.registers(.holding, at: 5, count: 1) == [77] })

        await gateway.stop()
        await platform.stop()
        broker.stop()
    }
}
