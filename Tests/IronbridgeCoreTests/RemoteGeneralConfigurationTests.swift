import Foundation
import IronbridgeCore
import IronbridgeTestSupport
import Testing

/// `general_configuration` written in ThingsBoard's gateway UI: a connection change is tried
/// before it is kept, and rolled back if the restarted gateway cannot connect with it.
@Suite("Remote configuration: general_configuration from the UI", .serialized, .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct RemoteGeneralConfigurationTests {
    static let extra = #", "remoteConfiguration": true, "remoteConfigurationConfirmSeconds": 5"#

    static func thingsboard(_ folder: URL) throws -> [String: Any] {
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as? [String: Any]
        return try #require(root?["thingsboard"] as? [String: Any])
    }

    /// What the UI sends: the gateway's own (secret-free) echo, edited.
    static func edited(_ general: [String: Any], _ changes: [String: Any]) -> [String: Any] {
        var object = general
        for (key, value) in changes { object[key] = value }
        object["ts"] = 1_735_000_000_000
        return object
    }

    @Test("with remote configuration off only Version is published, and shared attributes change nothing")
    func offPublishesOnlyVersion() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let ui = GatewayUIStandIn(platform: platform)
        let harness = try GatewayHarness(brokerPort: broker.port, connectors: [], factories: [])
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { ui.clientAttribute("Version") as? String == "3.8.5" })
        try await ui.write(["general_configuration": ["host": "127.0.0.1", "port": 1, "ts": 1]])
        try await Task.sleep(for: .milliseconds(500))
        #expect(ui.clientAttribute("general_configuration") == nil)
        #expect(!platform.messages.contains { $0.topic.hasPrefix("v1/devices/me/attributes/request/") && String(decoding: $0.payload, as: UTF8.self).contains("active_connectors") })
        #expect(try Self.thingsboard(harness.folder)["port"] as? Int == broker.port)
        await harness.stop()
        ui.stop()
        await platform.stop()
        broker.stop()
    }

    @Test("a new host/port the platform does not accept is refused: the old connection stays and config.json is unchanged")
    func unreachableIsRefused() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let ui = GatewayUIStandIn(platform: platform)
        let harness = try GatewayHarness(brokerPort: broker.port, connectors: [], factories: [], thingsboardExtra: Self.extra)
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { ui.clientAttribute("general_configuration") != nil })
        let general = try #require(ui.clientAttribute("general_configuration") as? [String: Any])
        let deadPort = try Loopback.freePort()
        try await ui.write(["general_configuration": Self.edited(general, ["port": deadPort])])

        #expect(await eventually(within: 15) { !harness.logs.messages(atLeast: .error, connector: "service").isEmpty })
        let line = try #require(harness.logs.messages(atLeast: .error, connector: "service").first)
        #expect(line.contains("general_configuration") && line.contains("127.0.0.1:\(deadPort)") && line.contains("not confirmed"), "\(line)")
        #expect(try Self.thingsboard(harness.folder)["port"] as? Int == broker.port)
        #expect(!FileManager.default.fileExists(atPath: harness.folder.appendingPathComponent("config.json.rollback").path))
        #expect(!harness.gateway.restart.isRequested)
        #expect(harness.gateway.platform.isConnected)
        #expect(harness.gateway.statistics.errors.totals.perConnector["service"] == 1)
        await harness.stop()
        ui.stop()
        await platform.stop()
        broker.stop()
    }

    @Test("a new port the platform accepts is saved (secrets kept, the old file kept for rollback) and the gateway restarts on it")
    func acceptedIsSavedAndRestarts() async throws {
        let broker = try MosquittoBroker()
        let newBroker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let ui = GatewayUIStandIn(platform: platform)
        let harness = try GatewayHarness(brokerPort: broker.port, connectors: [], factories: [], thingsboardExtra: Self.extra)
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { ui.clientAttribute("general_configuration") != nil })
        let general = try #require(ui.clientAttribute("general_configuration") as? [String: Any])
        try await ui.write(["general_configuration": Self.edited(general, ["port": newBroker.port])])

        #expect(await eventually(within: 15) { harness.gateway.restart.isRequested }, "no restart onto the accepted settings")
        let saved = try Self.thingsboard(harness.folder)
        #expect(saved["port"] as? Int == newBroker.port)
        #expect((saved["security"] as? [String: Any])?["accessToken"] as? String == "test-token", "the token the UI never saw was lost")
        let rollback = try String(contentsOf: harness.folder.appendingPathComponent("config.json.rollback"), encoding: .utf8)
        #expect(rollback.contains("\(broker.port)"))
        await harness.stop()
        ui.stop()
        await platform.stop()
        newBroker.stop()
        broker.stop()
    }

    @Test("restarted onto settings that do not connect, the gateway puts the previous config.json back and restarts; settings that connect are confirmed")
    func trialAfterRestart() async throws {
        let broker = try MosquittoBroker()
        // Did not connect: the previous config.json comes back.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-trial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let previous = """
        {"thingsboard": {"host": "127.0.0.1", "port": \(broker.port), "security": {"type": "accessToken", "accessToken": "test-token"}}, "connectors": []}
        """
        try previous.write(to: folder.appendingPathComponent("config.json.rollback"), atomically: true, encoding: .utf8)
        let deadPort = try Loopback.freePort()
        let failing = try GatewayHarness(brokerPort: deadPort, connectors: [], factories: [], thingsboardExtra: Self.extra, folder: folder)
        #expect(await eventually(within: 15) { failing.gateway.restart.isRequested }, "no rollback after the confirmation time")
        #expect(try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8) == previous)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json.rollback").path))
        #expect(try String(contentsOf: folder.appendingPathComponent("config.json.bak"), encoding: .utf8).contains("\(deadPort)"))
        await failing.stop()

        // Connected: confirmed, the rollback copy removed, no restart.
        let second = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-trial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: second, withIntermediateDirectories: true)
        try previous.write(to: second.appendingPathComponent("config.json.rollback"), atomically: true, encoding: .utf8)
        let working = try GatewayHarness(brokerPort: broker.port, connectors: [], factories: [], thingsboardExtra: Self.extra, folder: second)
        #expect(await working.waitUntilConnected())
        #expect(await eventually(within: 10) { !FileManager.default.fileExists(atPath: second.appendingPathComponent("config.json.rollback").path) })
        #expect(!working.gateway.restart.isRequested)
        #expect(try Self.thingsboard(second)["port"] as? Int == broker.port)
        await working.stop()
        broker.stop()
    }
}
