import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
import Testing

/// The real `ironbridge run` as a child process, started as systemd would start it with
/// `Type=notify` and `WatchdogSec=`: `$NOTIFY_SOCKET` names a datagram socket this test owns and
/// `$WATCHDOG_USEC` the interval. No broker is running: an offline gateway must still be ready
/// and healthy. One Modbus slave on loopback: a real server, or a listener that never answers.
@Suite("systemd notify, watchdog and the status socket, with the real executable", .serialized,
       .enabled(if: IronbridgeExecutable.isBuilt, "needs the ironbridge executable"))
struct SystemdServiceTests {
    final class Rig {
        let folder: URL
        let notify: NotifySocketListener
        let statusSocket: String
        let log: String
        var gateway: ChildProcess?

        /// `modbusPort`: the slave's port; `timeoutSeconds`: its response timeout.
        init(modbusPort: Int, timeoutSeconds: Int) throws {
            folder = URL(fileURLWithPath: "/tmp/ib-svc-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            log = folder.appendingPathComponent("gateway.log").path
            statusSocket = folder.appendingPathComponent("status.sock").path
            notify = try NotifySocketListener(path: folder.appendingPathComponent("notify.sock").path)
            let brokerPort = try Loopback.freePort()  // nothing listens there: the platform is offline
            let config = """
            {"thingsboard": {"host": "127.0.0.1", "port": \(brokerPort), "security": {"type": "accessToken", "accessToken": "t"},
                             "reconnectMaxSeconds": 1},
             "storage": {"type": "memory"}, "dataFolder": "data", "logLevel": "info",
             "connectors": [{"type": "modbus", "name": "Modbus", "configuration": "modbus.json"}]}
            """
            let modbus = """
            {"master": {"slaves": [{"deviceName": "Meter", "host": "127.0.0.1", "port": \(modbusPort), "unitId": 1, "pollPeriod": 100,
              "timeout": \(timeoutSeconds), "byteOrder": "BIG",
              "timeseries": [{"tag": "r0", "type": "16uint", "functionCode": 3, "address": 0}]}]}}
            """
            try config.write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
            try modbus.write(to: folder.appendingPathComponent("modbus.json"), atomically: true, encoding: .utf8)
        }

        /// `journal`: as if stderr were the journal (`$JOURNAL_STREAM`).
        func start(watchdogMicroseconds: Int, journal: Bool = false) throws {
            var environment = ProcessInfo.processInfo.environment
            environment["NOTIFY_SOCKET"] = notify.path
            environment["WATCHDOG_USEC"] = String(watchdogMicroseconds)
            environment.removeValue(forKey: "WATCHDOG_PID")
            environment["JOURNAL_STREAM"] = journal ? "8:12345" : nil
            gateway = try ChildProcess(
                IronbridgeExecutable.path,
                ["run", "--config", folder.appendingPathComponent("config.json").path, "--status-socket", statusSocket],
                outputFile: log, environment: environment)
        }

        var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        /// Runs `ironbridge status` with `arguments`; returns its exit code and output.
        func status(_ arguments: [String]) throws -> (code: Int32?, output: String) {
            let output = folder.appendingPathComponent("status-\(UUID().uuidString.prefix(6)).txt").path
            let child = try ChildProcess(IronbridgeExecutable.path, ["status", "--socket", statusSocket] + arguments, outputFile: output)
            let code = child.waitForExit(timeout: 20)
            return (code, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
        }

        func stopGateway() {
            gateway?.signal(SIGTERM)
            if gateway?.waitForExit(timeout: 15) == nil { gateway?.signal(SIGKILL) }
            gateway = nil
        }

        func finish() {
            stopGateway()
            notify.stop()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// Waits (bounded) until `condition` holds, checking every 100 ms.
    func waitFor(seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    @Test("READY=1 once connectors run (platform offline), then WATCHDOG=1 pings and a STATUS= summary")
    func readyAndWatchdog() async throws {
        let server = try ModbusServer(.tcp(host: "127.0.0.1", port: 0), configuration: .init(holdingRegisters: 10))
        defer { _ = server.stop() }
        let rig = try Rig(modbusPort: server.port!, timeoutSeconds: 2)
        defer { rig.finish() }
        try rig.start(watchdogMicroseconds: 1_000_000)
        #expect(await waitFor(seconds: 20) { !rig.notify.messages(with: "READY=1").isEmpty }, "no READY=1; log:\n\(rig.logText)")
        #expect(await waitFor(seconds: 20) { rig.notify.messages(with: "WATCHDOG=1").count >= 5 }, "too few WATCHDOG=1; log:\n\(rig.logText)")
        let status = rig.notify.messages.compactMap { $0.fields["STATUS"] }
        #expect(status.contains { $0.contains("not connected to 127.0.0.1") && $0.contains("1 device(s)") }, "\(status)")
        // The pings go on while everything runs: a generous window, no timing of the scheduler.
        let before = rig.notify.messages(with: "WATCHDOG=1").count
        #expect(await waitFor(seconds: 20) { rig.notify.messages(with: "WATCHDOG=1").count >= before + 5 }, "pings stopped; log:\n\(rig.logText)")
    }

    @Test("a Modbus line stuck in a request that is never answered stops the WATCHDOG=1 pings, and the journal log names it")
    func stuckLineStopsWatchdog() async throws {
        let silent = try SilentListener()
        let rig = try Rig(modbusPort: silent.port, timeoutSeconds: 120)
        defer { rig.finish() }
        try rig.start(watchdogMicroseconds: 1_000_000, journal: true)
        #expect(await waitFor(seconds: 20) { !rig.notify.messages(with: "READY=1").isEmpty }, "no READY=1; log:\n\(rig.logText)")
        // Silence of 4 intervals after READY=1 (pings would come every half interval).
        let silenced = await waitFor(seconds: 30) {
            let last = rig.notify.messages(with: "WATCHDOG=1").last?.at ?? rig.notify.messages(with: "READY=1")[0].at
            return ContinuousClock.now - last > .seconds(4)
        }
        #expect(silenced, "WATCHDOG=1 kept coming: \(rig.notify.messages(with: "WATCHDOG=1").count) pings; log:\n\(rig.logText)")
        // Under journald: a syslog priority prefix (3 = error), no timestamp.
        #expect(await waitFor(seconds: 10) { rig.logText.contains("\n<3>Modbus line 127.0.0.1:\(silent.port) has not run") }, "\(rig.logText)")
        #expect(rig.logText.hasPrefix("<6>ironbridge "), "\(rig.logText)")
        #expect(rig.gateway?.isRunning == true)
        // A stop would wait for the hung request (120 s): systemd would kill it too.
        rig.gateway?.signal(SIGKILL)
        _ = rig.gateway?.waitForExit(timeout: 10)
    }

    @Test("ironbridge status answers from a running gateway: connection, devices with last value and errors, buffered, round trips")
    func statusAnswers() async throws {
        let server = try ModbusServer(.tcp(host: "127.0.0.1", port: 0), configuration: .init(holdingRegisters: 10))
        defer { _ = server.stop() }
        let rig = try Rig(modbusPort: server.port!, timeoutSeconds: 2)
        defer { rig.finish() }
        try rig.start(watchdogMicroseconds: 2_000_000)
        #expect(await waitFor(seconds: 20) { !rig.notify.messages(with: "READY=1").isEmpty }, "no READY=1; log:\n\(rig.logText)")
        #expect(await waitFor(seconds: 20) { server.requestCount(.readHoldingRegisters) >= 5 })

        let (jsonCode, jsonText) = try rig.status(["--json"])
        #expect(jsonCode == 0, "\(jsonText)")
        let report = try JSONValue.parse(jsonText)
        #expect(report["platform"]?["connected"]?.boolValue == false, "\(jsonText)")
        let device = try #require(report["devices"]?.arrayValue?.first, "\(jsonText)")
        #expect(device["name"]?.stringValue == "Meter" && device["reachable"]?.boolValue == true, "\(jsonText)")
        #expect(device["lastValueAt"]?.stringValue != nil && device["errors"]?.intValue == 0, "\(jsonText)")
        #expect((report["storage"]?["pending"]?.intValue ?? 0) > 0, "offline: records wait in the store; \(jsonText)")
        let line = try #require(report["modbusLines"]?.arrayValue?.first, "\(jsonText)")
        #expect(line["line"]?.stringValue == "127.0.0.1:\(server.port!)" && line["meanMs"]?.doubleValue != nil, "\(jsonText)")
        #expect(report["watchdog"]?["stalled"]?.arrayValue == [], "\(jsonText)")
        let parts = report["watchdog"]?["parts"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(parts == ["MQTT network thread", "Modbus line 127.0.0.1:\(server.port!)"], "the threads that feed the watchdog: \(parts)")

        let (textCode, text) = try rig.status([])
        #expect(textCode == 0)
        #expect(text.contains("platform: 127.0.0.1:") && text.contains("NOT connected"), "\(text)")
        #expect(text.contains("Meter [Modbus] answering, last value "), "\(text)")
        #expect(text.contains("modbus line 127.0.0.1:\(server.port!)") && text.contains("round trip"), "\(text)")
        let mode = try FileManager.default.attributesOfItem(atPath: rig.statusSocket)[.posixPermissions] as? Int
        #expect(mode == 0o660)

        rig.stopGateway()
        let (downCode, downText) = try rig.status([])
        #expect(downCode == 1 && downText.contains("is `ironbridge run` running?"), "\(downText)")
    }
}
