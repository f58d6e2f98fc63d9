import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
import Testing

/// A flood of RPCs against the gateway as its own process: huge method names and far more
/// requests than may wait at once, to a Modbus device that never answers. Memory, log and
/// replies stay bounded.
@Suite("a flood of RPCs", .enabled(if: MosquittoBroker.isAvailable && IronbridgeExecutable.isBuilt, "needs mosquitto and the ironbridge executable"))
struct RPCFloodTests {
    func memory(_ pid: pid_t) -> (rss: Int, peak: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func kib(_ key: String) -> Int {
            status.split(separator: "\n").first { $0.hasPrefix(key) }.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) } ?? 0
        }
        return (kib("VmRSS:"), kib("VmHWM:"))
    }

    @Test("memory, log and replies stay bounded under thousands of RPCs with huge names")
    func flood() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let server = try ModbusServer(.tcp(host: "127.0.0.1", port: 0), configuration: .init(holdingRegisters: 100))
        defer { server.stop() }
        server.addFault(.init(addresses: 0...99, behavior: .drop))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-flood-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        {"thingsboard": {"host": "127.0.0.1", "port": \(broker.port), "security": {"type": "accessToken", "accessToken": "t"}, "rpcTimeoutMs": 2000},
         "storage": {"type": "memory"}, "dataFolder": "data", "logLevel": "info",
         "connectors": [{"type": "modbus", "name": "Modbus", "configuration": "modbus.json"}]}
        """.write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try """
        {"master": {"slaves": [{"deviceName": "Mute", "host": "127.0.0.1", "port": \(server.port!), "pollPeriod": 600000, "timeout": 1, "retries": 0,
          "timeseries": []}]}}
        """.write(to: folder.appendingPathComponent("modbus.json"), atomically: true, encoding: .utf8)
        let log = folder.appendingPathComponent("gateway.log").path
        let gateway = try ChildProcess(IronbridgeExecutable.path, ["run", "--config", folder.appendingPathComponent("config.json").path], outputFile: log)
        var up = false
        for id in 1...40 where !up {
            up = (try await platform.gatewayRPC(id: id, method: "gateway_ping", params: [String: Any](), within: 0.5)) != nil
        }
        #expect(up)
        try await Task.sleep(for: .seconds(1))
        let baseline = memory(gateway.pid)
        let logBefore = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0

        let hugeName = String(repeating: "m", count: 100_000)
        for id in 1...2400 {
            let method = id % 4 == 0 ? hugeName : "get"
            try await platform.publishRaw("v1/gateway/rpc", #"{"device": "Mute", "data": {"id": \#(id), "method": "\#(method)", "params": "type=16uint;functionCode=3;address=0;"}}"#)
        }
        func replies() -> [[String: Any]] {
            platform.objects(on: "v1/gateway/rpc").filter { ($0["data"] as? [String: Any])?["method"] == nil }
        }
        // Every request is answered, except those dropped unread because more than the inbound
        // budget (16 MiB) was already waiting: wait until no more replies come (3 s without one).
        var answered = 0
        for _ in 0..<60 {
            try await Task.sleep(for: .seconds(3))
            let now = replies().count
            if now == answered || now >= 2400 { answered = now; break }
            answered = now
        }
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(answered >= 1000, "\(answered) replies")
        #expect(answered == 2400 || text.contains("message(s) from"), "\(answered) replies and no drop reported")
        let during = memory(gateway.pid)
        let answers = replies().compactMap { ($0["data"] as? [String: Any])?["result"] as? [String: Any] ?? $0["data"] as? [String: Any] }
        let busy = answers.filter { ($0["error"] as? String)?.hasPrefix("busy:") == true }.count
        let longest = platform.messages(on: "v1/gateway/rpc").filter { $0.payload.count < 20_000 }.map(\.payload.count).max() ?? 0
        let logAfter = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) ?? 0
        try await Task.sleep(for: .seconds(10))
        let after = memory(gateway.pid)
        print("RPC flood: RSS \(baseline.rss) KiB before, peak \(during.peak) KiB, \(after.rss) KiB 10 s after; \(answered) of 2400 answered, \(busy) of them busy; log grew \(logAfter - logBefore) bytes; longest reply \(longest) bytes")
        #expect(during.peak - baseline.rss < 64 * 1024, "peak RSS \(during.peak) KiB against \(baseline.rss) KiB before the flood")
        #expect(after.rss - baseline.rss < 24 * 1024, "RSS \(after.rss) KiB 10 s after the flood against \(baseline.rss) KiB before")
        #expect(busy > 500, "\(busy) busy replies")
        #expect(logAfter - logBefore < 3_000_000, "the log grew \(logAfter - logBefore) bytes")
        // No reply echoes a 100 kB name: every reply the gateway sent is small.
        let bigReplies = replies().filter { (try? JSONSerialization.data(withJSONObject: $0).count) ?? 0 > 2_000 }
        #expect(bigReplies.isEmpty, "\(bigReplies.count) replies over 2 kB")
        gateway.signal(SIGTERM)
        _ = gateway.waitForExit(timeout: 15)
        await platform.stop()
    }
}
