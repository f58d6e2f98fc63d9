import Foundation
import GPIOConnector
import IronbridgeCore
import IronbridgeTestSupport
import Testing

/// Device-to-device messages (docs/messages.md) from GPIO inputs on the mocked chip, through a
/// whole gateway, a real mosquitto and the platform stand-in.
@Suite("Device-to-device messages from GPIO inputs", .enabled(if: MosquittoBroker.isAvailable), .timeLimit(.minutes(1)))
struct MessagesTests {
    static let ok = #"{"status":"ok"}"#
    static let offline = #"{"error":"No active connection to the remote device!"}"#

    /// A door input (17) and a siren output (23) of another device on the same chip; `messages` goes on the door.
    static func panel(_ chip: String, messages: String) -> String {
        """
        {"devices": [
          {"deviceName": "Door Panel", "chip": "\(chip)",
           "lines": [{"pin": 17, "key": "door", "direction": "input", "edge": "both", "messages": \(messages)}]},
          {"deviceName": "Siren Box", "chip": "\(chip)",
           "lines": [{"pin": 23, "key": "siren", "direction": "output", "initial": 0}]}]}
        """
    }

    static func start(_ json: String, broker: MosquittoBroker, storage: String = #"{"type": "memory"}"#) throws -> GatewayHarness {
        try GatewayHarness(brokerPort: broker.port, connectors: [(type: "gpio", name: "GPIO", file: "gpio.json", json: json)],
                           factories: [GPIOConnectorFactory()], storage: storage)
    }

    /// The `message_result` values reported for `device`.
    static func results(_ platform: PlatformStandIn, of device: String) -> [[String: Any]] {
        platform.telemetry(of: device).compactMap { $0.values["message_result"] as? [String: Any] }
    }

    @Test(.enabled(if: isMockedLibgpiod))
    func anEdgeSendsSendMsgWithTheTemplatedParamsAndTheReplyIsRecorded() async throws {
        let chip = ConnectorMockChip()
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port, options: .init(clientRPCAnswers: ["sendMsg": Self.ok]))
        let rule = #"[{"edge": "rising", "target": "Controller A", "params": {"open": "${value}", "from": "${deviceName}", "key": "${key}", "at": "${ts}", "text": "door ${value}"}}]"#
        let harness = try Self.start(Self.panel(chip.name, messages: rule), broker: broker)
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { platform.telemetry(of: "Door Panel").contains { $0.values["door"] != nil } })

        let edgeTime = monotonicNow() - 500_000_000
        chip.drive(17, true, timestamp: edgeTime)
        #expect(await eventually(within: 10) { !platform.clientRPCs(method: "sendMsg").isEmpty })
        let request = try #require(platform.clientRPCs(method: "sendMsg").first?.request)
        let params = try #require(request["params"] as? [String: Any])
        #expect(params["fromDevice"] as? String == "Door Panel")
        #expect(params["device"] as? String == "Controller A")
        let body = try #require(params["body"] as? [String: Any])
        let edge = try #require(platform.telemetry(of: "Door Panel").first { ($0.values["door"] as? Int) == 1 })
        #expect(body["open"] as? Int == 1 && body["from"] as? String == "Door Panel" && body["key"] as? String == "door")
        #expect(body["text"] as? String == "door 1")
        #expect((body["at"] as? NSNumber)?.int64Value == edge.ts, "the trigger's time is the edge's: \(body) vs \(String(describing: edge.ts))")

        #expect(await eventually(within: 10) { Self.results(platform, of: "Door Panel").contains { $0["status"] as? String == "ok" } })
        let result = try #require(Self.results(platform, of: "Door Panel").first)
        #expect((result["reply"] as? [String: Any])?["status"] as? String == "ok")
        #expect(result["target"] as? String == "Controller A" && result["local"] as? Bool == false)
        #expect(platform.telemetry(of: "Door Panel").contains { ($0.values["message_sent"] as? [String: Any])?["method"] as? String == "sendMsg" })
        #expect(harness.gateway.messenger.statistics.succeeded == 1)
        #expect(harness.gateway.messenger.statistics.triggered == 1)

        // A falling edge does not fire a rising rule.
        chip.drive(17, false)
        #expect(await eventually(within: 10) { platform.telemetry(of: "Door Panel").contains { ($0.values["door"] as? Int) == 0 } })
        try await Task.sleep(for: .milliseconds(300))
        #expect(platform.clientRPCs(method: "sendMsg").count == 1)
        await harness.stop()
        await platform.stop()
    }

    @Test(.enabled(if: isMockedLibgpiod))
    func theNoActiveConnectionAnswerIsLoggedAndCounted() async throws {
        let chip = ConnectorMockChip()
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port, options: .init(clientRPCAnswers: ["sendMsg": Self.offline, "getDevices": #"{"Controller A": "a1b2"}"#]))
        let harness = try Self.start(Self.panel(chip.name, messages: #"[{"target": "Controller A"}]"#), broker: broker)
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { platform.telemetry(of: "Door Panel").contains { $0.values["door"] != nil } })
        chip.drive(17, true)
        #expect(await eventually(within: 10) { harness.gateway.messenger.statistics.noActiveConnection == 1 })
        #expect(harness.logs.messages(atLeast: .warning).contains { $0.contains("'Controller A'") && $0.contains("No active connection to the remote device!") })
        #expect(await eventually(within: 10) { Self.results(platform, of: "Door Panel").contains { $0["status"] as? String == "noActiveConnection" } })
        #expect(harness.gateway.messenger.statistics.succeeded == 0)
        // getDevices was asked after the connect and its answer kept.
        #expect(await eventually(within: 10) { harness.gateway.messenger.knownDevices?["Controller A"] == "a1b2" })
        // The default params: every placeholder.
        let body = try #require((platform.clientRPCs(method: "sendMsg").first?.request["params"] as? [String: Any])?["body"] as? [String: Any])
        #expect(body["deviceName"] as? String == "Door Panel" && body["key"] as? String == "door" && body["value"] as? Int == 1 && body["ts"] is NSNumber)
        await harness.stop()
        await platform.stop()
    }

    @Test(.enabled(if: isMockedLibgpiod))
    func aMessageThePlatformDoesNotAnswerTimesOut() async throws {
        let chip = ConnectorMockChip()
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let harness = try Self.start(Self.panel(chip.name, messages: #"[{"target": "Controller A", "timeoutMs": 300}]"#), broker: broker)
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { platform.telemetry(of: "Door Panel").contains { $0.values["door"] != nil } })
        chip.drive(17, true)
        #expect(await eventually(within: 10) { Self.results(platform, of: "Door Panel").contains { $0["status"] as? String == "timeout" } })
        #expect(harness.gateway.messenger.statistics.timedOut == 1 && harness.gateway.messenger.statistics.succeeded == 0)
        #expect(platform.clientRPCs(method: "sendMsg").count == 1)
        #expect(harness.logs.messages(atLeast: .warning).contains { $0.contains("'Controller A'") && $0.contains("no answer from the platform within 300 ms") })
        await harness.stop()
        await platform.stop()
    }

    @Test(.enabled(if: isMockedLibgpiod))
    func aLocalTargetSwitchesWhileTheBrokerIsDownAndTheReportArrivesAfterwards() async throws {
        let chip = ConnectorMockChip()
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let rule = #"[{"target": "Siren Box", "method": "setGpio", "params": {"pin": 23, "value": "${value}"}, "minIntervalMs": 0}]"#
        let harness = try Self.start(Self.panel(chip.name, messages: rule), broker: broker)
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { platform.telemetry(of: "Door Panel").contains { $0.values["door"] != nil } })
        #expect(chip.outputLevel(23) == false)

        broker.stop()
        #expect(await eventually(within: 10) { !harness.gateway.platform.isConnected })
        chip.drive(17, true)
        // Local delivery takes well under a millisecond of gateway time; 2 s bounds a loaded machine.
        #expect(await eventually(within: 2) { chip.outputLevel(23) == true })
        chip.drive(17, false)
        #expect(await eventually(within: 2) { chip.outputLevel(23) == false })
        #expect(harness.gateway.messenger.statistics.deliveredLocally == 2)
        #expect(!harness.gateway.platform.isConnected)

        try broker.start()
        #expect(await eventually(within: 15) { Self.results(platform, of: "Door Panel").count == 2 })
        let results = Self.results(platform, of: "Door Panel")
        #expect(results.allSatisfy { $0["status"] as? String == "ok" && $0["local"] as? Bool == true && $0["target"] as? String == "Siren Box" })
        #expect(results.map { ($0["reply"] as? [String: Any])?["value"] as? Int } == [1, 0])
        #expect(results.allSatisfy { $0["latencyUs"] is NSNumber })
        // The siren's own level reports reach the platform too.
        #expect(await eventually(within: 10) { Set(platform.telemetry(of: "Siren Box").compactMap { $0.values["siren"] as? Int }) == [0, 1] })
        #expect(platform.clientRPCs(method: "setGpio").isEmpty, "a local message does not go through the platform")
        let latencies = results.compactMap { ($0["latencyUs"] as? NSNumber)?.intValue }
        print("local delivery, trigger to target's answer: \(latencies) us")
        await harness.stop()
        await platform.stop()
    }

    @Test(.enabled(if: isMockedLibgpiod))
    func aLocalTargetRefusesAsForAnRPC() async throws {
        let chip = ConnectorMockChip()
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let rule = #"[{"target": "Siren Box", "method": "setGpio", "params": {"pin": 17, "value": "${value}"}}]"#
        let harness = try Self.start(Self.panel(chip.name, messages: rule), broker: broker)
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { platform.telemetry(of: "Door Panel").contains { $0.values["door"] != nil } })
        chip.drive(17, true)
        #expect(await eventually(within: 10) { Self.results(platform, of: "Door Panel").contains { $0["status"] as? String == "error" } })
        let reply = try #require(Self.results(platform, of: "Door Panel").first?["reply"] as? [String: Any])
        #expect((reply["error"] as? String)?.contains("device 'Siren Box': pin 17 is not configured") == true, "\(reply)")
        #expect(harness.gateway.messenger.statistics.failed == 1)
        await harness.stop()
        await platform.stop()
    }

    /// A target that only becomes local through a platform rename, and sends messages itself, is refused at delivery.
    @Test(.enabled(if: isMockedLibgpiod))
    func aRenamedLocalTargetThatSendsMessagesIsRefusedAtDelivery() async throws {
        let chip = ConnectorMockChip()
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port, options: .init(clientRPCAnswers: ["sendMsg": Self.ok]))
        let json = """
        {"devices": [
          {"deviceName": "Door Panel", "chip": "\(chip.name)",
           "lines": [{"pin": 17, "key": "door", "messages": [{"target": "Tamper Box 2", "method": "setGpio", "params": {"pin": 23, "value": 1}, "minIntervalMs": 0}]}]},
          {"deviceName": "Tamper Box", "chip": "\(chip.name)",
           "lines": [{"pin": 23, "key": "lamp", "direction": "output"}, {"pin": 24, "key": "tamper", "messages": [{"target": "Controller A"}]}]}]}
        """
        let harness = try Self.start(json, broker: broker)
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { platform.telemetry(of: "Door Panel").contains { $0.values["door"] != nil } })
        _ = try await platform.gatewayRPC(id: 5, method: "gateway_device_renamed", params: ["Tamper Box": "Tamper Box 2"])
        #expect(await eventually(within: 10) { harness.gateway.registry.record(platformName: "Tamper Box 2") != nil })
        chip.drive(17, true)
        #expect(await eventually(within: 10) { Self.results(platform, of: "Door Panel").contains { $0["status"] as? String == "error" } })
        let reply = try #require(Self.results(platform, of: "Door Panel").first?["reply"] as? [String: Any])
        #expect((reply["error"] as? String)?.contains("device 'Tamper Box' sends messages itself, so it cannot receive one") == true, "\(reply)")
        #expect(chip.outputLevel(23) == false)
        #expect(platform.clientRPCs(method: "setGpio").isEmpty)
        await harness.stop()
        await platform.stop()
    }

    @Test(.enabled(if: isMockedLibgpiod))
    func offlineMessagesWaitInTheDurableStoreAndGoInOrderExpiredOnesAreDropped() async throws {
        let chip = ConnectorMockChip()
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port, options: .init(clientRPCAnswers: ["sendMsg": Self.ok]))
        let rules = #"""
        [{"target": "Controller A", "params": {"open": "${value}"}, "minIntervalMs": 0, "expiryMs": 300000},
         {"target": "Controller B", "params": {"open": "${value}"}, "minIntervalMs": 0, "expiryMs": 1000}]
        """#
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-msg-\(UUID().uuidString)")
        let harness = try Self.start(Self.panel(chip.name, messages: rules), broker: broker,
                                     storage: #"{"type": "file", "data_folder_path": "\#(folder.path)"}"#)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { platform.telemetry(of: "Door Panel").contains { $0.values["door"] != nil } })

        broker.stop()
        #expect(await eventually(within: 10) { !harness.gateway.platform.isConnected })
        chip.drive(17, true)
        try await Task.sleep(for: .milliseconds(50))
        chip.drive(17, false)
        #expect(await eventually(within: 5) { harness.gateway.messenger.statistics.queuedForPlatform == 4 })
        try await Task.sleep(for: .milliseconds(1_200))  // past Controller B's expiry
        try broker.start()
        #expect(await eventually(within: 15) { platform.clientRPCs(method: "sendMsg").count >= 2 && harness.gateway.messenger.statistics.expired == 2 })
        try await Task.sleep(for: .milliseconds(300))
        let sent = platform.clientRPCs(method: "sendMsg").compactMap { $0.request["params"] as? [String: Any] }
        #expect(sent.map { $0["device"] as? String } == ["Controller A", "Controller A"])
        #expect(sent.map { ($0["body"] as? [String: Any])?["open"] as? Int } == [1, 0], "in trigger order")
        #expect(await eventually(within: 10) { harness.gateway.messenger.statistics.succeeded == 2 })
        #expect(await eventually(within: 10) { Self.results(platform, of: "Door Panel").filter { $0["status"] as? String == "expired" }.count == 2 })
        #expect(harness.logs.messages(atLeast: .warning).contains { $0.contains("'Controller B'") && $0.contains("expired") })
        await harness.stop()
        await platform.stop()
    }

    @Test(.enabled(if: isMockedLibgpiod))
    func aChatteringInputIsRateLimited() async throws {
        let chip = ConnectorMockChip()
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port, options: .init(clientRPCAnswers: ["sendMsg": Self.ok]))
        let harness = try Self.start(Self.panel(chip.name, messages: #"[{"target": "Controller A", "minIntervalMs": 60000}]"#), broker: broker)
        #expect(await harness.waitUntilConnected())
        #expect(await eventually(within: 10) { platform.telemetry(of: "Door Panel").contains { $0.values["door"] != nil } })
        for index in 0..<20 {
            chip.drive(17, index % 2 == 0)
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(await eventually(within: 10) { platform.telemetry(of: "Door Panel").filter { $0.values["door"] != nil }.count >= 21 })
        #expect(await eventually(within: 10) { harness.gateway.messenger.statistics.rateLimited == 19 })
        try await Task.sleep(for: .milliseconds(500))
        #expect(platform.clientRPCs(method: "sendMsg").count == 1)
        #expect(harness.gateway.messenger.statistics.triggered == 1)
        #expect(harness.logs.messages(atLeast: .warning).filter { $0.contains("rate-limited") }.count == 1, "one warning, the rest counted")
        await harness.stop()
        await platform.stop()
    }

    /// docs/messages.md opens with a complete connector file; it runs as it stands.
    @Test func theDocumentedExampleSendsToThePlatformAndSwitchesTheLocalOutput() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/messages.md"), encoding: .utf8)
        let example = try #require(Self.firstJSONBlock(of: doc))
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port, options: .init(clientRPCAnswers: ["sendMsg": Self.ok]))
        let harness = try Self.start(example, broker: broker)
        #expect(await harness.waitUntilConnected())
        // The simulated door toggles every 2 s: a message to the platform and the siren following the door.
        #expect(await eventually(within: 15) { Self.results(platform, of: "Door Panel").contains { $0["target"] as? String == "Controller A" && $0["status"] as? String == "ok" } })
        #expect(await eventually(within: 15) { Self.results(platform, of: "Door Panel").contains { $0["target"] as? String == "Siren Box" && $0["status"] as? String == "ok" } })
        let body = try #require((platform.clientRPCs(method: "sendMsg").first?.request["params"] as? [String: Any])?["body"] as? [String: Any])
        #expect(body["event"] as? String == "door" && body["from"] as? String == "Door Panel" && body["open"] is NSNumber && body["at"] is NSNumber)
        let siren = try #require(Self.results(platform, of: "Door Panel").first { $0["target"] as? String == "Siren Box" })
        let door = (siren["reply"] as? [String: Any])?["value"] as? Int
        #expect(door == 0 || door == 1)
        #expect(await eventually(within: 10) { platform.telemetry(of: "Siren Box").contains { ($0.values["siren"] as? Int) == 1 } })
        await harness.stop()
        await platform.stop()
    }

    static func firstJSONBlock(of markdown: String) -> String? {
        guard let start = markdown.range(of: "```json\n") else { return nil }
        guard let end = markdown.range(of: "\n```", range: start.upperBound..<markdown.endIndex) else { return nil }
        return String(markdown[start.upperBound..<end.lowerBound])
    }
}
