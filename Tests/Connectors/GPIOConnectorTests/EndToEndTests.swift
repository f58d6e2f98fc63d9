import Foundation
import GPIOConnector
import IronbridgeCore
import IronbridgeTestSupport
import Testing

/// The whole gateway, a real mosquitto, and the platform stand-in playing ThingsBoard.
@Suite("GPIO connector end to end through mosquitto", .enabled(if: MosquittoBroker.isAvailable), .timeLimit(.minutes(1)))
struct EndToEndTests {
    @Test(.enabled(if: isMockedLibgpiod))
    func edgesReachThePlatformAndRPCsRoundTrip() async throws {
        let chip = ConnectorMockChip()
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let harness = try GatewayHarness(
            brokerPort: broker.port, connectors: [(type: "gpio", name: "GPIO", file: "gpio.json", json: ConnectorOnLibgpiod.MockedChipTests.panel(chip.name))],
            factories: [GPIOConnectorFactory()])
        #expect(await harness.waitUntilConnected())
        #expect(await platform.waitFor("v1/gateway/connect") { $0["device"] as? String == "Pump Panel" && $0["type"] as? String == "gpio" } != nil)
        #expect(await eventually(within: 10) { platform.telemetry(of: "Pump Panel").contains { $0.values["door"] != nil } })

        let edgeTime = monotonicNow() - 1_500_000_000
        chip.drive(17, false, timestamp: edgeTime)  // pull-up idles high: a falling edge
        #expect(await eventually(within: 10) {
            platform.telemetry(of: "Pump Panel").contains { ($0.values["door"] as? Int) == 0 }
        })
        let record = try #require(platform.telemetry(of: "Pump Panel").first { ($0.values["door"] as? Int) == 0 })
        let expected = unixMillisecondsNow() - 1_500
        #expect(abs((record.ts ?? 0) - expected) < 1_000, "ts \(record.ts ?? 0) is not the edge's time (about \(expected))")

        let set = try await platform.rpc(device: "Pump Panel", id: 41, method: "setGpio", params: "{\"pin\": \"23\", \"value\": 1}")
        #expect(set?["pin"] as? Int == 23 && set?["value"] as? Int == 1, "\(String(describing: set))")
        #expect(chip.outputLevel(23) == true)
        let status = try await platform.rpc(device: "Pump Panel", id: 42, method: "getGpioStatus", params: "{}")
        #expect(status as? [String: Bool] == ["23": true, "24": true, "17": false], "\(String(describing: status))")
        let refused = try await platform.rpc(device: "Pump Panel", id: 43, method: "setGpio", params: ["pin": 17, "value": 1])
        #expect((refused?["error"] as? String)?.contains("is an input") == true)
        #expect(await eventually(within: 10) {
            platform.telemetry(of: "Pump Panel").contains { ($0.values["pump"] as? Int) == 1 }
        })

        await harness.stop()
        #expect(!chip.isRequested(23) && !chip.isRequested(17))
        await platform.stop()
    }

    /// The shipped example (connectors/gpio.json), as the README's demo runs it: a simulated chip.
    @Test func theShippedSimulatedExampleRunsEndToEnd() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let example = try String(contentsOf: root.appendingPathComponent("connectors/gpio.json"), encoding: .utf8)
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let harness = try GatewayHarness(
            brokerPort: broker.port, connectors: [(type: "gpio", name: "GPIO", file: "gpio.json", json: example)],
            factories: [GPIOConnectorFactory()])
        #expect(await harness.waitUntilConnected())
        // The simulated door toggles every second: both levels arrive.
        #expect(await eventually(within: 10) {
            Set(platform.telemetry(of: "Pump Panel").compactMap { $0.values["door"] as? Int }) == [0, 1]
        })
        let reply = try await platform.rpc(device: "Pump Panel", id: 7, method: "setGpio", params: ["pin": 23, "value": true])
        #expect(reply?["pin"] as? Int == 23 && reply?["value"] as? Int == 1, "\(String(describing: reply))")
        let connector = try #require(harness.gateway.connector(named: "GPIO") as? GPIOConnector)
        #expect(connector.simulatedChips.first?.outputLevel(offset: 23) == true)
        let get = try await platform.rpc(device: "Pump Panel", id: 8, method: "getGpio", params: ["pin": 23])
        #expect(get?["value"] as? Int == 1)
        await harness.stop()
        await platform.stop()
    }
}
