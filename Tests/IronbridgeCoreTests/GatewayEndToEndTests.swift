import Foundation
import IronbridgeCore
import IronbridgeTestSupport
import Testing

let twoDevices = #"{"devices": [{"name": "Meter 1", "type": "meter"}, {"name": "Meter 2", "type": "meter"}]}"#

func startGateway(broker: MosquittoBroker, extra: String = "", connectorFile: String = twoDevices) throws -> GatewayHarness {
    try GatewayHarness(brokerPort: broker.port, connectors: [("test", "Test", "test.json", connectorFile)],
                       factories: [TestConnectorFactory()], thingsboardExtra: extra)
}

@Suite("the gateway against a real mosquitto and a platform stand-in", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct GatewayEndToEndTests {
    @Test("connect, telemetry with and without ts, and attributes arrive in the Gateway API's shape")
    func publishesInGatewayShape() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try startGateway(broker: broker)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        let ts = nowMs()
        await gateway.testConnector.send([
            TelemetryRecord(device: "Meter 1", timestamp: ts, values: [DataPoint("temperature", 21.5), DataPoint("count", 7)]),
            TelemetryRecord(device: "Meter 2", timestamp: nil, values: [DataPoint("on", true), DataPoint("label", "A \"quoted\" one")]),
            TelemetryRecord(device: "Meter 1", timestamp: ts + 1, values: [DataPoint("temperature", 21.75)]),
        ])
        await gateway.testConnector.sendAttributes(device: "Meter 1", [DataPoint("serial", "A7"), DataPoint("firmware", 3)])

        #expect(await eventually { platform.telemetry(of: "Meter 1").count == 2 && !platform.objects(on: "v1/gateway/attributes").isEmpty })
        let connects = platform.objects(on: "v1/gateway/connect")
        #expect(connects.contains { $0["device"] as? String == "Meter 1" && $0["type"] as? String == "meter" })
        #expect(connects.contains { $0["device"] as? String == "Meter 2" && $0["type"] as? String == "meter" })
        let meter1 = platform.telemetry(of: "Meter 1")
        #expect(meter1[0].ts == ts && meter1[1].ts == ts + 1)
        #expect(meter1[0].values["temperature"] as? Double == 21.5)
        #expect(meter1[0].values["count"] as? Int == 7)
        #expect(meter1[1].values["temperature"] as? Double == 21.75)
        let meter2 = platform.telemetry(of: "Meter 2")
        #expect(meter2.count == 1 && meter2[0].ts == nil)
        #expect(meter2[0].values["on"] as? Bool == true && meter2[0].values["label"] as? String == "A \"quoted\" one")
        // (connectorName/connectorType, sent once per device, may come in a message of their own.)
        let attributes = platform.objects(on: "v1/gateway/attributes").compactMap { $0["Meter 1"] as? [String: Any] }.filter { $0["serial"] != nil }
        #expect(attributes.first?["serial"] as? String == "A7" && attributes.first?["firmware"] as? Int == 3)
        // connect precedes the device's first telemetry
        let order = platform.messages.map(\.topic).filter { $0 == "v1/gateway/connect" || $0 == "v1/gateway/telemetry" }
        #expect(order.first == "v1/gateway/connect")
        await gateway.stop()
        await platform.stop()
    }

    @Test("RPCs reach the connector and get exactly one reply; params as a JSON string are unwrapped")
    func answersRPC() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try startGateway(broker: broker)
        #expect(await gateway.waitUntilConnected())
        let reply = try await platform.rpc(device: "Meter 1", id: 42, method: "echo", params: #"{"pin": 23, "value": 1}"#)
        let echo = try #require(reply?["echo"] as? [String: Any])
        #expect(echo["pin"] as? Int == 23 && echo["value"] as? Int == 1)
        #expect(reply?["device"] as? String == "Meter 1")
        let unknownMethod = try await platform.rpc(device: "Meter 2", id: 43, method: "explode", params: [String: Any]())
        #expect(unknownMethod?["error"] as? String == "unknown method 'explode'")
        try await Task.sleep(for: .milliseconds(300))
        let replies42 = platform.objects(on: "v1/gateway/rpc").filter { ($0["id"] as? Int) == 42 && ($0["data"] as? [String: Any])?["method"] == nil }
        #expect(replies42.count == 1)
        #expect(gateway.testConnector.receivedCalls.map(\.method) == ["echo", "explode"])
        await gateway.stop()
        await platform.stop()
    }

    @Test("an RPC that outlives its deadline gets an error reply in time, and nothing after")
    func rpcDeadline() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try startGateway(broker: broker, extra: #", "rpcTimeoutMs": 300"#)
        #expect(await gateway.waitUntilConnected())
        let started = ContinuousClock.now
        let reply = try await platform.rpc(device: "Meter 1", id: 7, method: "slow", params: [String: Any]())
        #expect(ContinuousClock.now - started < .seconds(2.5))
        #expect((reply?["error"] as? String)?.contains("timed out after 300 ms") == true, "\(String(describing: reply))")
        // Meanwhile other RPCs are not held up.
        let quick = try await platform.rpc(device: "Meter 2", id: 8, method: "echo", params: 5)
        #expect(quick?["echo"] as? Int == 5)
        await gateway.stop()
        await platform.stop()
    }

    @Test("RPCs for unknown devices and malformed messages get error replies or are ignored, never a crash")
    func malformedInput() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try startGateway(broker: broker)
        #expect(await gateway.waitUntilConnected())
        let unknown = try await platform.rpc(device: "Nobody", id: 1, method: "echo", params: 1)
        #expect(unknown?["error"] as? String == "unknown device 'Nobody'")
        for garbage in ["not json", "{\"device\": 5}", "[]", "{\"device\":\"Meter 1\",\"data\":{\"method\":7,\"id\":\"x\"}}", "\u{0}\u{1}"] {
            try await platform.publishRaw("v1/gateway/rpc", garbage)
            try await platform.publishRaw("v1/gateway/attributes", garbage)
            try await platform.publishRaw("v1/gateway/attributes/response", garbage)
            try await platform.publishRaw("v1/devices/me/rpc/request/9", garbage)
        }
        let after = try await platform.rpc(device: "Meter 1", id: 2, method: "echo", params: "still alive")
        #expect(after?["echo"] as? String == "still alive")
        #expect(gateway.gateway.statistics.snapshot.malformedMessages >= 10)
        await gateway.stop()
        await platform.stop()
    }

    @Test("the gateway's own RPCs: ping, version, devices, stats, and 404 for unknown methods")
    func gatewayRPCs() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try startGateway(broker: broker)
        #expect(await gateway.waitUntilConnected())
        let ping = try await platform.gatewayRPC(id: 1, method: "gateway_ping", params: [String: Any]()) as? [String: Any]
        #expect(ping?["code"] as? Int == 200 && ping?["resp"] as? String == "pong")
        let version = try await platform.gatewayRPC(id: 2, method: "gateway_version", params: [String: Any]()) as? [String: Any]
        #expect(version?["version"] as? String == IronbridgeVersion.current)
        let devices = try await platform.gatewayRPC(id: 3, method: "gateway_devices", params: [String: Any]()) as? [String: Any]
        #expect((devices?["resp"] as? [String: Any])?["Meter 1"] as? String == "Test")
        await gateway.testConnector.send([TelemetryRecord(device: "Meter 1", timestamp: nil, values: [DataPoint("a", 1), DataPoint("b", 2)])])
        #expect(await eventually { platform.telemetry(of: "Meter 1").count == 1 })
        let stats = try await platform.gatewayRPC(id: 4, method: "gateway_stats", params: [String: Any]()) as? [String: Any]
        #expect((stats?["pointsSent"] as? Int ?? 0) >= 2)
        #expect(stats?["buffered"] as? Int == 0)
        let unknown = try await platform.gatewayRPC(id: 5, method: "gateway_teleport", params: [String: Any]()) as? [String: Any]
        #expect(unknown?["error"] as? String == "Method not found" && unknown?["code"] as? Int == 404)
        await gateway.stop()
        await platform.stop()
    }

    @Test("shared attribute updates reach the owning connector; attribute requests are correlated by id")
    func attributes() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port, options: .init(sharedAttributes: ["Meter 2": ["setpoint": "42", "mode": "\"eco\""]]))
        let gateway = try startGateway(broker: broker)
        #expect(await gateway.waitUntilConnected())
        try await platform.updateSharedAttributes(device: "Meter 1", ["setpoint": 12])
        #expect(await eventually { !gateway.testConnector.receivedUpdates.isEmpty })
        #expect(gateway.testConnector.receivedUpdates.first?.0 == "Meter 1")
        #expect(gateway.testConnector.receivedUpdates.first?.1 == ["setpoint": 12])
        #expect(await eventually { gateway.testConnector.isRunning })
        let values = try await gateway.testConnector.requestShared(device: "Meter 2", keys: ["setpoint", "mode", "absent"])
        #expect(values == ["setpoint": 42, "mode": "eco"])
        let request = platform.objects(on: "v1/gateway/attributes/request").first
        #expect(request?["client"] as? Bool == false && request?["device"] as? String == "Meter 2")
        await gateway.stop()
        await platform.stop()
    }

    @Test("session limits from the server are applied: telemetry is split below 80 % of maxPayloadSize")
    func sessionLimits() async throws {
        let broker = try MosquittoBroker()
        let limits = #"{"maxPayloadSize": 1000, "maxInflightMessages": 10, "rateLimits": {"messages": "1000:1", "telemetryMessages": "1000:1", "telemetryDataPoints": "100000:1"}}"#
        let platform = try await PlatformStandIn(brokerPort: broker.port, options: .init(sessionLimits: limits))
        let gateway = try startGateway(broker: broker)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.gateway.platform.sessionLimits.maxPayloadSize == 800 })
        #expect(gateway.gateway.platform.sessionLimits.maxInflightMessages == 8)
        #expect(await eventually { gateway.testConnector.isRunning })
        let records = (0..<100).map { TelemetryRecord(device: "Meter 1", timestamp: 1_700_000_000_000 + Int64($0), values: [DataPoint("value", .int(Int64($0)))]) }
        await gateway.testConnector.send(records)
        #expect(await eventually { platform.telemetry(of: "Meter 1").count == 100 })
        let sizes = platform.messages(on: "v1/gateway/telemetry").map(\.payload.count)
        #expect(sizes.count > 1 && sizes.allSatisfy { $0 <= 800 }, "\(sizes)")
        #expect(platform.telemetry(of: "Meter 1").map { $0.values["value"] as? Int } == (0..<100).map { $0 })
        await gateway.stop()
        await platform.stop()
    }

    @Test("without an answer to getSessionLimits the gateway keeps its defaults and still sends")
    func noSessionLimits() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try startGateway(broker: broker, extra: #", "sessionLimitsTimeoutMs": 200"#)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.logs.messages.contains { $0.contains("no session limits from the server") } })
        #expect(gateway.gateway.platform.sessionLimits.maxPayloadSize == 65536)
        await gateway.testConnector.send([TelemetryRecord(device: "Meter 2", timestamp: 5, values: [DataPoint("x", 1)])])
        #expect(await eventually { platform.telemetry(of: "Meter 2").count == 1 })
        await gateway.stop()
        await platform.stop()
    }

    @Test("a broker restart loses no telemetry, and RPCs work again afterwards")
    func survivesBrokerRestart() async throws {
        let broker = try MosquittoBroker()
        let gateway = try startGateway(broker: broker)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        broker.stop()
        #expect(await eventually { !gateway.gateway.platform.isConnected })
        // Produced while the broker is down: must be delivered after it is back.
        for index in 0..<50 {
            await gateway.testConnector.send([TelemetryRecord(device: "Meter 1", timestamp: 1_000 + Int64(index), values: [DataPoint("n", .int(Int64(index)))])])
        }
        try broker.start()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        #expect(await gateway.waitUntilConnected(within: 15))
        #expect(await eventually(within: 15) { platform.telemetry(of: "Meter 1").count >= 50 })
        #expect(platform.telemetry(of: "Meter 1").map { $0.values["n"] as? Int } == (0..<50).map { $0 })
        // The device is announced again in the new session, and subscriptions are back.
        #expect(platform.objects(on: "v1/gateway/connect").contains { $0["device"] as? String == "Meter 1" })
        let reply = try await platform.rpc(device: "Meter 1", id: 99, method: "echo", params: "after restart")
        #expect(reply?["echo"] as? String == "after restart")
        await gateway.stop()
        await platform.stop()
    }

    @Test("a disconnect is sent once and the next data connects the device again")
    func disconnectAndReconnectDevice() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try startGateway(broker: broker)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        await gateway.testConnector.send([TelemetryRecord(device: "Meter 1", timestamp: nil, values: [DataPoint("x", 1)])])
        await gateway.testConnector.disconnect(device: "Meter 1")
        await gateway.testConnector.disconnect(device: "Meter 1")
        await gateway.testConnector.send([TelemetryRecord(device: "Meter 1", timestamp: nil, values: [DataPoint("x", 2)])])
        #expect(await eventually { platform.telemetry(of: "Meter 1").count == 2 })
        // A connect may be repeated when the session's announcement races the first data; repeats are harmless.
        let topics = platform.messages.map(\.topic).filter { $0.hasPrefix("v1/gateway/") && !$0.hasPrefix("v1/gateway/rpc") }
            .reduce(into: [String]()) { if $0.last != $1 || $1 != "v1/gateway/connect" { $0.append($1) } }
        #expect(topics == ["v1/gateway/connect", "v1/gateway/telemetry", "v1/gateway/disconnect", "v1/gateway/connect", "v1/gateway/telemetry"], "\(topics)")
        await gateway.stop()
        await platform.stop()
    }

    @Test("shutdown delivers what was queued and disconnects cleanly")
    func gracefulShutdown() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try startGateway(broker: broker)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        let records = (0..<2000).map { TelemetryRecord(device: "Meter 2", timestamp: Int64($0), values: [DataPoint("v", .int(Int64($0)))]) }
        await gateway.testConnector.send(records)
        await gateway.stop()
        #expect(!gateway.gateway.platform.isConnected)
        #expect(await gateway.gateway.store.statistics().pending == 0)
        #expect(await eventually { platform.telemetry(of: "Meter 2").count == 2000 })
        #expect(gateway.logs.messages.contains("stopped"))
        await platform.stop()
    }
}
