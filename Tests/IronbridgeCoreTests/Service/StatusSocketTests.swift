import Foundation
import IronbridgeCore
import IronbridgeTestSupport
import Logging
import Testing

@Suite("status socket: server and client")
struct StatusSocketTests {
    @Test("a client gets the report as JSON; the socket is mode 0660; a stale socket file is replaced; stop removes it")
    func roundTrip() async throws {
        let path = "/tmp/ib-status-\(UUID().uuidString.prefix(8)).sock"
        // A socket file left behind by a crashed gateway.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(stale)
        #expect(FileManager.default.fileExists(atPath: path))

        let server = try StatusServer(path: path, logger: Logger(label: "test")) { ["platform": ["connected": true], "devices": []] }
        server.start()
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o660)
        let report = try StatusClient.fetch(path: path)
        #expect(report["platform"]?["connected"]?.boolValue == true)
        await server.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect { try StatusClient.fetch(path: path) } throws: { "\($0)".contains(path) }
    }

    @Test("a regular file in the socket's place is not deleted: the error says so")
    func refusesToDeleteAFile() throws {
        let path = "/tmp/ib-status-\(UUID().uuidString.prefix(8)).sock"
        try "keep me".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        #expect { try StatusServer(path: path, logger: Logger(label: "test")) { [:] } } throws: { "\($0)".contains("not a socket") }
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("the one-line summary and the report name connection, devices, rate, buffered and round trips")
    func rendering() {
        let report: JSONValue = [
            "version": "0.1.0", "pid": 7, "platform": ["endpoint": "tb:1883", "connected": false],
            "pointsRead": 10, "pointsPerSecond": 2.5,
            "storage": ["type": "file", "pending": 42, "dropped": 0, "bytesOnDisk": 100],
            "devices": [["name": "Meter", "connector": "Modbus", "reachable": true, "errors": 3,
                         "lastValueAt": "2026-11-24T02:00:00.000Z", "lastValueAgeSeconds": 1.5]],
            "modbusLines": [["line": "127.0.0.1:502", "requests": 9, "failures": 1, "lastMs": 2.0, "meanMs": 1.5, "maxMs": 4.0]],
            "watchdog": ["parts": ["MQTT network thread"], "stalled": []],
        ]
        #expect(StatusText.summary(report) == "not connected to tb:1883; 1 device(s) (1 answering); 2.5 points/s; 42 buffered")
        let text = StatusText.report(report)
        #expect(text.contains("Meter [Modbus] answering, last value 2026-11-24T02:00:00.000Z (1.5 s ago), 3 error(s)"), "\(text)")
        #expect(text.contains("modbus line 127.0.0.1:502: 9 request(s), 1 failed, round trip last 2 ms, mean 1.5 ms, max 4 ms"), "\(text)")
        #expect(text.contains("buffered: 42 record(s) (file store"), "\(text)")
    }
}
