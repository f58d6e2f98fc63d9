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
