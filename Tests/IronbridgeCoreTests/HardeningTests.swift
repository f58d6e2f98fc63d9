import Foundation
import IronbridgeCore
import IronbridgeTestSupport
import Testing

@Suite("what a platform user cannot make the gateway do", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct HardeningTests {
    func start(_ broker: MosquittoBroker, extra: String = "", folder: URL? = nil) async throws -> GatewayHarness {
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [("test", "Test", "test.json", twoDevices)],
                                         factories: [TestConnectorFactory()], thingsboardExtra: extra, folder: folder)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        return gateway
    }

    @Test("a rename onto another device's name is refused, names both devices and changes nothing")
    func renameOntoNameInUse() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try await start(broker)
        let refused = try await platform.gatewayRPC(id: 1, method: "gateway_device_renamed", params: ["Meter 1": "Meter 2"]) as? [String: Any]
        #expect(refused?["success"] as? Bool == false)
        let error = refused?["error"] as? String ?? ""
        #expect(error.contains("'Meter 1'") && error.contains("'Meter 2'"), "\(error)")
        // Meter 2 renamed away: its configured name is still taken (a delete would bring it back).
        _ = try await platform.gatewayRPC(id: 2, method: "gateway_device_renamed", params: ["Meter 2": "Pump"])
        let stillRefused = try await platform.gatewayRPC(id: 3, method: "gateway_device_renamed", params: ["Meter 1": "Meter 2"]) as? [String: Any]
        #expect(stillRefused?["success"] as? Bool == false)
        // Nothing changed: each device keeps its name and its commands.
        #expect(gateway.gateway.registry.platformName(of: "Meter 1") == "Meter 1")
        let one = try await platform.rpc(device: "Meter 1", id: 4, method: "echo", params: 1)
        #expect(one?["device"] as? String == "Meter 1")
        let pump = try await platform.rpc(device: "Pump", id: 5, method: "echo", params: 2)
        #expect(pump?["device"] as? String == "Meter 2")
        await gateway.stop()
        await platform.stop()
    }

    @Test("renames sent back to back are applied in arrival order and saved before their success")
    func renamesInOrder() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try await start(broker)
        var current = "Meter 1"
        for round in 0..<40 {
            let middle = "B\(round)", last = "C\(round)"
            let first = 1000 + round * 2
            try await platform.publishRaw("v1/devices/me/rpc/request/\(first)", #"{"method": "gateway_device_renamed", "params": {"\#(current)": "\#(middle)"}}"#)
            try await platform.publishRaw("v1/devices/me/rpc/request/\(first + 1)", #"{"method": "gateway_device_renamed", "params": {"\#(middle)": "\#(last)"}}"#)
            #expect(await eventually { !platform.messages(on: "v1/devices/me/rpc/response/\(first + 1)").isEmpty })
            // The success of the second came after the file had it.
            let saved = try JSONValue.parse(Array(Data(contentsOf: gateway.folder.appendingPathComponent("data/devices.json"))))
            let names = saved["devices"]?.arrayValue?.compactMap { $0["platformName"]?.stringValue } ?? []
            #expect(names.contains(last), "round \(round): \(names)")
            #expect(gateway.gateway.registry.platformName(of: "Meter 1") == last, "round \(round)")
            current = last
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: gateway.folder.appendingPathComponent("data").path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        await gateway.stop()
        await platform.stop()
    }

    @Test("temporary files a killed gateway left behind are removed at start")
    func leftoversRemoved() async throws {
        let broker = try MosquittoBroker()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-gw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
        try "half".write(to: folder.appendingPathComponent("data/.devices.json.4242.7.tmp"), atomically: false, encoding: .utf8)
        let gateway = try await start(broker, folder: folder)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("data/.devices.json.4242.7.tmp").path))
        await gateway.stop()
    }

    @Test("a rename that cannot be saved is answered with the error and not applied", .enabled(if: TmpfsMount.isAvailable, "needs root for a tmpfs"))
    func renameNotSaved() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let mount = try #require(TmpfsMount.make(sizeKiB: 2048))
        defer { mount.unmount() }
        let gateway = try await start(broker, folder: URL(fileURLWithPath: mount.path))
        #expect(mount.makeReadOnly())
        let reply = try await platform.gatewayRPC(id: 1, method: "gateway_device_renamed", params: ["Meter 1": "Boiler"]) as? [String: Any]
        #expect(reply?["success"] as? Bool == false)
        #expect((reply?["error"] as? String)?.contains("Read-only file system") == true, "\(String(describing: reply))")
        #expect(gateway.gateway.registry.platformName(of: "Meter 1") == "Meter 1")
        let rpc = try await platform.rpc(device: "Meter 1", id: 2, method: "echo", params: 1)
        #expect(rpc?["device"] as? String == "Meter 1")
        await gateway.stop()
        await platform.stop()
        _ = mount.makeWritable()
    }

    @Test("platform text is clipped and escaped in replies and logs; oversized messages are refused unread")
    func boundedText() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try await start(broker, extra: #", "maxIncomingMessageBytes": 65536"#)
        let longName = "x\n[ERROR] forged line " + String(repeating: "y", count: 50_000)
        let reply = try await platform.rpc(device: "Meter 1", id: 1, method: longName, params: 1)
        let error = try #require(reply?["error"] as? String)
        #expect(error.count < 400 && error.contains("more characters") && !error.contains("\n"), "\(error.prefix(300))")
        let unknown = try await platform.rpc(device: longName, id: 2, method: "echo", params: 1)
        #expect(((unknown?["error"] as? String)?.count ?? .max) < 400)
        let renamed = try await platform.gatewayRPC(id: 3, method: "gateway_device_renamed", params: [longName: "z"]) as? [String: Any]
        #expect(renamed?["success"] as? Bool == true)
        // 100 kB is over the configured 64 kB: refused before parsing, counted, one short log line.
        let before = gateway.gateway.statistics.snapshot.malformedMessages
        try await platform.publishRaw("v1/gateway/rpc", #"{"device": "Meter 1", "data": {"id": 9, "method": "echo", "params": "\#(String(repeating: "p", count: 100_000))"}}"#)
        #expect(await eventually { gateway.gateway.statistics.snapshot.malformedMessages == before + 1 })
        // The count comes just before the log line: wait for the line too.
        #expect(await eventually { gateway.logs.messages.contains { $0.contains("refused unread") } })
        #expect(gateway.logs.messages.allSatisfy { $0.utf8.count < 2_000 && !$0.contains("\n[ERROR]") }, "\(gateway.logs.messages.map(\.count).max() ?? 0)")
        await gateway.stop()
        await platform.stop()
    }

    @Test("RPCs beyond the pending caps are answered busy at once, naming the limit")
    func pendingCaps() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try await start(broker, extra: #", "maxPendingRpcsPerDevice": 5, "maxPendingRpcs": 8"#)
        for id in 1...40 {
            try await platform.publishRaw("v1/gateway/rpc", #"{"device": "\#(id % 2 == 0 ? "Meter 1" : "Meter 2")", "data": {"id": \#(id), "method": "slow", "params": {}}}"#)
        }
        func replies() -> [[String: Any]] {
            platform.objects(on: "v1/gateway/rpc").compactMap { $0["data"] as? [String: Any] }.filter { $0["method"] == nil }
        }
        // The 32 over the caps are refused at once, before any slow one (3 s) could finish.
        #expect(await eventually(within: 2.5) { replies().filter { ($0["error"] as? String)?.hasPrefix("busy:") == true }.count == 32 })
        let busy = replies().compactMap { $0["error"] as? String }
        #expect(busy.contains { $0.contains("thingsboard.maxPendingRpcsPerDevice") } || busy.contains { $0.contains("thingsboard.maxPendingRpcs") })
        #expect(await eventually(within: 10) { replies().filter { $0["late"] as? Bool == true }.count == 8 })
        // Slots are given back: a new RPC is served again.
        let echo = try await platform.rpc(device: "Meter 1", id: 100, method: "echo", params: 1)
        #expect(echo?["echo"] as? Int == 1)
        await gateway.stop()
        await platform.stop()
    }
}

@Suite("quiet logs while the platform is away", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct QuietReconnectLogTests {
    @Test("repeated connect failures give one warning; the reconnect says how many attempts failed")
    func oneWarningPerState() async throws {
        let broker = try MosquittoBroker()
        broker.stop()
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [("test", "Test", "test.json", twoDevices)],
                                         factories: [TestConnectorFactory()])
        #expect(await eventually(within: 15) { gateway.logs.messages.filter { $0.contains("cannot connect") }.count >= 4 })
        let warnings = gateway.logs.messages(atLeast: .warning).filter { $0.contains("cannot connect") }
        #expect(warnings.count == 1, "\(warnings)")
        try broker.start()
        #expect(await gateway.waitUntilConnected(within: 15))
        #expect(gateway.logs.messages.contains { $0.contains("connected to ThingsBoard") && $0.contains("failed attempts") }, "\(gateway.logs.messages)")
        await gateway.stop()
    }
}

@Suite("the gateway's own messages echoed by a plain broker", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct OwnEchoTests {
    @Test("its own attribute uploads coming back are neither handled nor counted as malformed")
    func ownAttributesIgnored() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [("test", "Test", "test.json", twoDevices)],
                                         factories: [TestConnectorFactory()])
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        await gateway.testConnector.sendAttributes(device: "Meter 1", [DataPoint("serial", "A7")])
        #expect(await eventually { !platform.objects(on: "v1/gateway/attributes").isEmpty })
        try await Task.sleep(for: .milliseconds(300))
        #expect(gateway.gateway.statistics.snapshot.malformedMessages == 0)
        #expect(!gateway.logs.messages.contains { $0.contains("malformed") }, "\(gateway.logs.messages)")
        await gateway.stop()
        await platform.stop()
    }
}
