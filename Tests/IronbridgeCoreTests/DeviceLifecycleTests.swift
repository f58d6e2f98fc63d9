import Foundation
import IronbridgeCore
import IronbridgeTestSupport
import Testing

@Suite("sub-device lifecycle: renames, deletes, a registry that survives restarts", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct DeviceLifecycleTests {
    func send(_ gateway: GatewayHarness, _ device: String, _ value: Int64) async {
        await gateway.testConnector.send([TelemetryRecord(device: device, timestamp: value, values: [DataPoint("v", .int(value))])])
    }

    @Test("rename: data and RPC use the new name, and after a restart it still does")
    func renameSurvivesRestart() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        var gateway = try startGateway(broker: broker)
        let folder = gateway.folder
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        await send(gateway, "Meter 1", 1)
        #expect(await eventually { platform.telemetry(of: "Meter 1").count == 1 })

        let reply = try await platform.gatewayRPC(id: 11, method: "gateway_device_renamed", params: ["Meter 1": "Boiler Room Meter"]) as? [String: Any]
        #expect(reply?["success"] as? Bool == true)
        await send(gateway, "Meter 1", 2)
        #expect(await eventually { platform.telemetry(of: "Boiler Room Meter").count == 1 })
        #expect(platform.telemetry(of: "Meter 1").count == 1)
        let renamedRPC = try await platform.rpc(device: "Boiler Room Meter", id: 12, method: "echo", params: "hi")
        #expect(renamedRPC?["echo"] as? String == "hi")
        #expect(renamedRPC?["device"] as? String == "Meter 1")
        let oldNameRPC = try await platform.rpc(device: "Meter 1", id: 13, method: "echo", params: "hi")
        #expect(oldNameRPC?["error"] as? String == "unknown device 'Meter 1'")

        await gateway.stop()
        platform.clear()
        gateway = try GatewayHarness(brokerPort: broker.port, connectors: [("test", "Test", "test.json", twoDevices)],
                                     factories: [TestConnectorFactory()], folder: folder)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        await send(gateway, "Meter 1", 3)
        #expect(await eventually { platform.telemetry(of: "Boiler Room Meter").count == 1 })
        #expect(platform.telemetry(of: "Meter 1").isEmpty)
        #expect(!platform.objects(on: "v1/gateway/connect").contains { $0["device"] as? String == "Meter 1" })
        #expect(platform.objects(on: "v1/gateway/connect").contains { $0["device"] as? String == "Boiler Room Meter" })
        let afterRestart = try await platform.rpc(device: "Boiler Room Meter", id: 14, method: "echo", params: 1)
        #expect(afterRestart?["echo"] as? Int == 1)
        await gateway.stop()
        await platform.stop()
    }

    @Test("renaming again, renaming back, and duplicate notifications are all harmless")
    func renameTwiceAndBack() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try startGateway(broker: broker)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        for (id, pair) in [(1, ["Meter 1": "A"]), (2, ["Meter 1": "A"]), (3, ["A": "B"]), (4, ["A": "B"]), (5, ["B": "Meter 1"]), (6, ["B": "Meter 1"])] {
            let reply = try await platform.gatewayRPC(id: id, method: "gateway_device_renamed", params: pair) as? [String: Any]
            #expect(reply?["success"] as? Bool == true)
            if id == 4 {
                await send(gateway, "Meter 1", 4)
                #expect(await eventually { platform.telemetry(of: "B").count == 1 })
            }
        }
        await send(gateway, "Meter 1", 6)
        #expect(await eventually { platform.telemetry(of: "Meter 1").count == 1 })
        #expect(platform.telemetry(of: "A").isEmpty)
        let devices = try await platform.gatewayRPC(id: 7, method: "gateway_devices", params: [String: Any]()) as? [String: Any]
        #expect(Set((devices?["resp"] as? [String: Any])?.keys.map { $0 } ?? []) == ["Meter 1", "Meter 2"])
        await gateway.stop()
        await platform.stop()
    }

    @Test("delete: the device is re-created under its configured name with a fresh connect")
    func deleteRecreates() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try startGateway(broker: broker)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        _ = try await platform.gatewayRPC(id: 1, method: "gateway_device_renamed", params: ["Meter 2": "Pump"])
        await send(gateway, "Meter 2", 1)
        #expect(await eventually { platform.telemetry(of: "Pump").count == 1 })
        platform.clear()
        for id in [2, 3] {
            let reply = try await platform.gatewayRPC(id: id, method: "gateway_device_deleted", params: "Pump") as? [String: Any]
            #expect(reply?["success"] as? Bool == true)
        }
        await send(gateway, "Meter 2", 2)
        #expect(await eventually { platform.telemetry(of: "Meter 2").count == 1 })
        let connects = platform.objects(on: "v1/gateway/connect").compactMap { $0["device"] as? String }
        #expect(connects == ["Meter 2"])
        #expect(platform.telemetry(of: "Pump").isEmpty)
        let rpc = try await platform.rpc(device: "Meter 2", id: 4, method: "echo", params: 2)
        #expect(rpc?["echo"] as? Int == 2)
        await gateway.stop()
        await platform.stop()
    }

    @Test("a corrupt registry file gives a warning, is rebuilt, and the gateway runs")
    func corruptRegistry() async throws {
        let broker = try MosquittoBroker()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-gw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        try "{\"devices\": [ {\"configuredName\": tru".write(to: folder.appendingPathComponent("data/devices.json"), atomically: true, encoding: .utf8)
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [("test", "Test", "test.json", twoDevices)],
                                         factories: [TestConnectorFactory()], folder: folder)
        #expect(gateway.logs.messages.contains { $0.contains("devices.json is corrupt") && $0.contains("rebuilt") })
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        await send(gateway, "Meter 1", 1)
        #expect(await eventually { platform.telemetry(of: "Meter 1").count == 1 })
        let saved = try JSONValue.parse(Array(Data(contentsOf: folder.appendingPathComponent("data/devices.json"))))
        #expect(saved["devices"]?.arrayValue?.count == 2)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("data/devices.json.corrupt").path))
        await gateway.stop()
        await platform.stop()
    }

    @Test("an inactive device is disconnected, and connected again with its next data")
    func inactivityTimeout() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let activity = #", "checkingDeviceActivity": {"checkDeviceInactivity": true, "inactivityTimeoutSeconds": 1, "inactivityCheckPeriodSeconds": 0.1}"#
        let gateway = try startGateway(broker: broker, extra: activity)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        await send(gateway, "Meter 1", 1)
        #expect(await eventually(within: 5) { platform.objects(on: "v1/gateway/disconnect").contains { $0["device"] as? String == "Meter 1" } })
        await send(gateway, "Meter 1", 2)
        #expect(await eventually { platform.telemetry(of: "Meter 1").count == 2 })
        #expect(platform.objects(on: "v1/gateway/connect").filter { $0["device"] as? String == "Meter 1" }.count >= 2)
        #expect(!platform.objects(on: "v1/gateway/disconnect").contains { $0["device"] as? String == "Meter 2" })
        await gateway.stop()
        await platform.stop()
    }

    @Test("gateway_restart answers, then shuts the gateway down gracefully for a re-exec")
    func restart() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try startGateway(broker: broker)
        #expect(await gateway.waitUntilConnected())
        let reply = try await platform.gatewayRPC(id: 1, method: "gateway_restart", params: 0.2) as? [String: Any]
        #expect(reply?["success"] as? Bool == true)
        #expect(gateway.gateway.restart.isRequested)
        #expect(await eventually(within: 5) { gateway.logs.messages.contains("stopped") })
        await gateway.stop()
        await platform.stop()
    }
}
