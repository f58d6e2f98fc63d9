import Foundation
import GPIOConnector
import IronbridgeCore
import IronbridgeTestSupport
import Testing

/// `gpio_get` / `gpio_set` sent to the gateway itself, as the Modbus connector's `modbus_get` /
/// `modbus_set` (ThingsBoard's connector RPCs, with `connectorId` in params).
@Suite("GPIO: connector RPCs sent to the gateway", .enabled(if: MosquittoBroker.isAvailable), .timeLimit(.minutes(1)))
struct GPIOConnectorRPCTests {
    static let panels = """
    {"devices": [
      {"deviceName": "Panel A", "chip": "gpiochip0", "backend": "simulated",
       "lines": [{"pin": 23, "key": "pump", "direction": "output", "initial": 0}, {"pin": 17, "key": "door", "direction": "input"}]},
      {"deviceName": "Panel B", "chip": "gpiochip1", "backend": "simulated",
       "lines": [{"pin": 23, "key": "fan", "direction": "output", "initial": 0}]}]}
    """

    @Test("gpio_set / gpio_get run on each device with that pin; inputs are refused; an unknown pin or connector says so")
    func connectorRPCs() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let harness = try GatewayHarness(brokerPort: broker.port, connectors: [(type: "gpio", name: "GPIO", file: "gpio.json", json: Self.panels)],
                                         factories: [GPIOConnectorFactory()])
        #expect(await harness.waitUntilConnected())

        let set = try await platform.gatewayRPC(id: 1, method: "gpio_set", params: ["pin": 23, "value": 1, "connectorId": "ui-id"]) as? [[String: Any]]
        #expect(set?.count == 2, "\(String(describing: set))")
        #expect(set?.map { $0["device_name"] as? String } == ["Panel A", "Panel B"])
        #expect(set?.allSatisfy { ($0["result"] as? [String: Any])?["value"] as? Int == 1 } == true, "\(String(describing: set))")
        #expect(await eventually(within: 10) { platform.telemetry(of: "Panel B").contains { ($0.values["fan"] as? Int) == 1 } })

        let one = try await platform.gatewayRPC(id: 2, method: "gpio_get", params: "{\"pin\": 23, \"device\": \"Panel A\"}") as? [[String: Any]]
        #expect(one?.count == 1 && one?.first?["device_name"] as? String == "Panel A", "\(String(describing: one))")
        #expect((one?.first?["result"] as? [String: Any])?["value"] as? Int == 1)

        let input = try await platform.gatewayRPC(id: 3, method: "gpio_set", params: ["pin": 17, "value": 1]) as? [[String: Any]]
        #expect((input?.first?["error"] as? String)?.contains("is an input") == true, "\(String(describing: input))")

        let unknown = try await platform.gatewayRPC(id: 4, method: "gpio_get", params: ["pin": 5]) as? [[String: Any]]
        #expect((unknown?.first?["error"] as? String)?.contains("has pin 5") == true, "\(String(describing: unknown))")

        let other = try await platform.gatewayRPC(id: 5, method: "gpio_get", params: ["pin": 23, "connectorName": "Other"]) as? [String: Any]
        #expect(other?["code"] as? Int == 404, "\(String(describing: other))")

        await harness.stop()
        await platform.stop()
    }
}
