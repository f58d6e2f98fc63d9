import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
import Testing

/// The gateway as its own process, killed (SIGKILL) while the platform renames a device
/// over and over: after each restart devices.json is whole, holds the last rename that was
/// answered `success` (or a later one), and no temporary file is left.
@Suite("renames and SIGKILL", .enabled(if: MosquittoBroker.isAvailable && IronbridgeExecutable.isBuilt, "needs mosquitto and the ironbridge executable"))
struct RenameCrashTests {
    @Test("a gateway killed during renames restarts with the acknowledged names and no leftovers")
    func killedDuringRenames() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-renames-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = """
        {"thingsboard": {"host": "127.0.0.1", "port": \(broker.port), "security": {"type": "accessToken", "accessToken": "t"}, "reconnectMaxSeconds": 1},
         "storage": {"type": "memory"}, "dataFolder": "data", "logLevel": "warning",
         "connectors": [{"type": "modbus", "name": "Modbus", "configuration": "modbus.json"}]}
        """
        // Devices on a port nobody serves: only their names matter here.
        let modbus = #"{"master": {"slaves": [{"deviceName": "Meter", "host": "127.0.0.1", "port": 1, "pollPeriod": 60000, "timeseries": []}]}}"#
        try config.write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try modbus.write(to: folder.appendingPathComponent("modbus.json"), atomically: true, encoding: .utf8)
        let log = folder.appendingPathComponent("gateway.log").path
        var current = "Meter"
        var requestID = 1
        var previous: (sent: [String], acknowledged: Int?) = (["Meter"], 0)
        for round in 0..<8 {
            let gateway = try ChildProcess(IronbridgeExecutable.path, ["run", "--config", folder.appendingPathComponent("config.json").path], outputFile: log)
            // A request sent before the gateway subscribed is lost: ask again until it answers (20 s at most).
            var ping: [String: Any]?
            for _ in 0..<40 where ping == nil {
                ping = try await platform.gatewayRPC(id: requestID, method: "gateway_ping", params: [String: Any](), within: 0.5) as? [String: Any]
                requestID += 1
            }
            #expect(ping?["resp"] as? String == "pong", "round \(round): the gateway did not come up: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            let dataFolder = folder.appendingPathComponent("data").path
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dataFolder).filter { $0.hasSuffix(".tmp") }
            #expect(leftovers.isEmpty, "round \(round): \(leftovers)")
            // The file holds the last acknowledged name, or a later one whose reply was lost to the kill.
            let saved = try JSONValue.parse(Array(Data(contentsOf: folder.appendingPathComponent("data/devices.json"))))
            let name = saved["devices"]?.arrayValue?.first?["platformName"]?.stringValue ?? "?"
            let position = previous.sent.firstIndex(of: name)
            #expect(position != nil && position! >= (previous.acknowledged ?? -1),
                    "round \(round): the file says \(name); the last name acknowledged was \(previous.acknowledged.map { previous.sent[$0] } ?? "none")")
            current = name
            // Twenty renames as fast as they can be sent; the kill lands somewhere among them.
            var sent: [(id: Int, new: String)] = []
            for step in 0..<20 {
                let new = "R\(round)-\(step)"
                try await platform.publishRaw("v1/devices/me/rpc/request/\(requestID)", #"{"method": "gateway_device_renamed", "params": {"\#(current)": "\#(new)"}}"#)
                sent.append((requestID, new))
                requestID += 1
                current = new
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...60)))
            gateway.signal(SIGKILL)
            _ = gateway.waitForExit(timeout: 10)
            // The last rename the platform saw succeed.
            let acknowledged = sent.lastIndex { !platform.messages(on: "v1/devices/me/rpc/response/\($0.id)").isEmpty }
            previous = ([name] + sent.map(\.new), acknowledged.map { $0 + 1 })
        }
        await platform.stop()
    }
}
