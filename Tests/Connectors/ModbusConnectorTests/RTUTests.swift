import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

/// Two linked pseudo-terminals made by socat (started with ChildProcess, so SIGTERM works).
final class PtyPair {
    static let socat = ["/usr/bin/socat", "/bin/socat"].first { FileManager.default.isExecutableFile(atPath: $0) }
    let directory: URL
    let first: String
    let second: String
    private let process: ChildProcess

    init() throws {
        guard let socat = Self.socat else { throw TestSupportError("socat is not installed") }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-modbus-pty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        first = directory.appendingPathComponent("a").path
        second = directory.appendingPathComponent("b").path
        process = try ChildProcess(socat, ["pty,raw,echo=0,link=\(first)", "pty,raw,echo=0,link=\(second)"])
        for _ in 0..<500 where !(FileManager.default.fileExists(atPath: first) && FileManager.default.fileExists(atPath: second)) {
            usleep(10_000)
        }
        guard FileManager.default.fileExists(atPath: second) else { throw TestSupportError("socat made no pty pair in 5 s") }
    }

    func stop() {
        process.signal(SIGTERM)
        if process.waitForExit(timeout: 5) == nil { process.signal(SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite("Modbus RTU over a pty pair", .enabled(if: PtyPair.socat != nil, "socat is not installed"))
struct RTUTests {
    @Test("an RTU slave is polled, written by RPC and read back")
    func rtuRoundTrip() async throws {
        let line = try PtyPair()
        defer { line.stop() }
        let server = try ModbusServer(.rtu(.init(device: line.first, baudRate: 115_200, parity: .even), unitId: 5),
                                      configuration: .init(coils: 50, discreteInputs: 50, holdingRegisters: 50, inputRegisters: 50))
        defer { server.stop() }
        server.setRegisters(.input, at: 2, [0x70A4, 0x4145])
        let rig = try ConnectorRig("""
        {"master": {"slaves": [{"deviceName": "Serial", "type": "serial", "method": "rtu", "port": "\(line.second)",
          "baudrate": 115200, "parity": "E", "unitId": 5, "pollPeriod": 50, "timeout": 1, "delayBetweenRequestsMs": 2,
          "byteOrder": "BIG", "wordOrder": "LITTLE",
          "timeseries": [{"tag": "f", "type": "32float", "functionCode": 4, "objectsCount": 2, "address": 2},
                         {"tag": "c", "type": "bits", "functionCode": 1, "address": 3}],
          "rpc": [{"tag": "setC", "type": "bits", "functionCode": 5, "address": 3},
                  {"tag": "setR", "type": "32int", "functionCode": 16, "objectsCount": 2, "address": 10}]}]}}
        """)
        #expect(await eventually(within: 10) { await rig.latest("f", of: "Serial") == .double(12.34) })
        #expect(await rig.rpc("Serial", "setC", true) == ["result": ["value": true]])
        #expect(await eventually(within: 10) { await rig.latest("c", of: "Serial") == true })
        #expect(resultError(await rig.rpc("Serial", "setR", 0x1234_5678)) == nil)
        #expect(server.registers(.holding, at: 10, count: 2) == [0x5678, 0x1234])
        #expect(await rig.presence(of: "Serial") == ["connect"])
        await rig.stop()
    }
}
