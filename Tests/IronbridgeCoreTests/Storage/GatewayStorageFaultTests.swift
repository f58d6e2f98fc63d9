import Foundation
import IronbridgeCore
import IronbridgeTestSupport
import Testing

@Suite("the gateway with an unusable data folder", .enabled(if: MosquittoBroker.isAvailable && TmpfsMount.isAvailable, "needs mosquitto and root for a tmpfs"))
struct GatewayStorageFaultTests {
    func run(_ mount: TmpfsMount, prepare: (TmpfsMount) -> Void) async throws -> (GatewayHarness, PlatformStandIn, MosquittoBroker) {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        prepare(mount)
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [("test", "Test", "test.json", twoDevices)],
                                         factories: [TestConnectorFactory()],
                                         storage: #"{"type": "file", "data_folder_path": "\#(mount.path)/store", "min_free_disk_mb": 0}"#)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        return (gateway, platform, broker)
    }

    @Test("a read-only data folder: a clear error, and live data still reaches the platform")
    func readOnly() async throws {
        let mount = try #require(TmpfsMount.make(sizeKiB: 1024))
        defer { mount.unmount() }
        let (gateway, platform, broker) = try await run(mount) { #expect($0.makeReadOnly()) }
        let ts = nowMs()
        await gateway.testConnector.send((0..<20).map { TelemetryRecord(device: "Meter 1", timestamp: ts + Int64($0), values: [DataPoint("v", .int(Int64($0)))]) })
        #expect(await eventually { platform.telemetry(of: "Meter 1").count == 20 }, "\(gateway.logs.messages)")
        #expect(gateway.logs.messages(atLeast: .error).contains { $0.contains("\(mount.path)/store") && $0.contains("Read-only file system") }, "\(gateway.logs.messages)")
        await gateway.stop()
        await platform.stop()
        broker.stop()
    }

    @Test("a data folder that fills up: one clear error, every record still reaches the platform")
    func fullDisk() async throws {
        let mount = try #require(TmpfsMount.make(sizeKiB: 96))
        defer { mount.unmount() }
        let (gateway, platform, broker) = try await run(mount) { _ in }
        let ts = nowMs()
        let payload = String(repeating: "x", count: 400)
        for batch in 0..<30 {
            await gateway.testConnector.send((0..<10).map { TelemetryRecord(device: "Meter 2", timestamp: ts + Int64(batch * 10 + $0), values: [DataPoint("blob", .string(payload))]) })
        }
        #expect(await eventually(within: 20) { platform.telemetry(of: "Meter 2").count >= 300 })
        let distinct = Set(platform.telemetry(of: "Meter 2").compactMap(\.ts))
        #expect(distinct.count == 300)
        #expect(gateway.logs.messages(atLeast: .error).filter { $0.contains("No space left on device") }.count == 1, "\(gateway.logs.messages)")
        await gateway.stop()
        await platform.stop()
        broker.stop()
    }
}

@Suite("the platform refusing a batch", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct RefusedBatchTests {
    /// Everything may be read and written except telemetry (`pattern` rules apply to every
    /// client, the gateway's access token being its user name).
    static let noTelemetry = """
    pattern read #
    pattern write v1/gateway/connect
    pattern write v1/gateway/disconnect
    pattern write v1/gateway/attributes
    pattern write v1/gateway/attributes/request
    pattern write v1/gateway/rpc
    pattern write v1/devices/me/#
    """

    @Test("a PUBACK with a failure code (MQTT 5) keeps the batch stored; it is sent again, with back-off, until taken")
    func refusedThenTaken() async throws {
        let broker = try MosquittoBroker(acl: Self.noTelemetry)
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [("test", "Test", "test.json", twoDevices)],
                                         factories: [TestConnectorFactory()], thingsboardExtra: #", "protocolVersion": "5""#,
                                         storage: #"{"type": "file"}"#)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        let ts = nowMs()
        await gateway.testConnector.send((0..<5).map { TelemetryRecord(device: "Meter 1", timestamp: ts + Int64($0), values: [DataPoint("v", .int(Int64($0)))]) })
        #expect(await eventually(within: 10) { gateway.logs.messages.contains { $0.contains("did not take a batch (MQTT reason code 135)") } }, "\(gateway.logs.messages)")
        #expect(platform.telemetry(of: "Meter 1").isEmpty)
        let waiting = await gateway.gateway.store.statistics().pending
        #expect(waiting == 5, "\(waiting) pending; \(gateway.logs.messages)")
        try broker.reload(acl: "pattern readwrite #\n")
        #expect(await eventually(within: 20) { Set(platform.telemetry(of: "Meter 1").compactMap(\.ts)).count == 5 })
        let retries = gateway.logs.messages.filter { $0.contains("sent again in") }
        #expect(!retries.isEmpty, "\(gateway.logs.messages)")
        await gateway.stop()
        await platform.stop()
    }
}
