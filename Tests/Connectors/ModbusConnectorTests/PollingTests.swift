import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

@Suite("Polling a real Modbus TCP server")
struct PollingTests {
    @Test("every data type and order decodes right, and one device's keys cost one request per function code")
    func decodesAllTypesCoalesced() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        // BIG/BIG: 16int -2, 16uint 65535, 32int -123456 (0xFFFE1DC0), 32float 12.34, 64int, 64float, string "AB12".
        server.setRegisters(.holding, at: 0, [0xFFFE, 0xFFFF, 0xFFFE, 0x1DC0, 0x4145, 0x70A4,
                                              0x0000, 0x0001, 0x0000, 0x0002, 0x4028, 0xAE14, 0x7AE1, 0x47AE])
        server.setRegisters(.holding, at: 14, [0x4142, 0x3132, 0x0000, 0x3C00, 0x0085, 0xA5A5])
        // LITTLE word order 32uint 0x12345678 and LITTLE byte order 16int 0x0102 -> 0x0201.
        server.setRegisters(.input, at: 0, [0x5678, 0x1234, 0x0201])
        server.setBits(.coils, at: 0, [true, false, true])
        server.setBits(.discreteInputs, at: 5, [true])
        let rig = try ConnectorRig("""
        {"master": {"slaves": [{"deviceName": "M", "host": "127.0.0.1", "port": \(server.port!), "pollPeriod": 100, "timeout": 1,
          "byteOrder": "BIG", "wordOrder": "BIG",
          "timeseries": [
            {"tag": "i16", "type": "16int", "functionCode": 3, "address": 0},
            {"tag": "u16", "type": "16uint", "functionCode": 3, "address": 1},
            {"tag": "i32", "type": "32int", "functionCode": 3, "objectsCount": 2, "address": 2},
            {"tag": "f32", "type": "32float", "functionCode": 3, "objectsCount": 2, "address": 4},
            {"tag": "i64", "type": "64int", "functionCode": 3, "objectsCount": 4, "address": 6},
            {"tag": "f64", "type": "64float", "functionCode": 3, "objectsCount": 4, "address": 10},
            {"tag": "text", "type": "string", "functionCode": 3, "objectsCount": 3, "address": 14},
            {"tag": "half", "type": "16float", "functionCode": 3, "address": 17},
            {"tag": "scaled", "type": "16int", "functionCode": 3, "address": 18, "divider": 10},
            {"tag": "tripled", "type": "16uint", "functionCode": 3, "address": 18, "multiplier": 3},
            {"tag": "i8", "type": "8int", "functionCode": 3, "address": 18},
            {"tag": "bit2", "type": "16uint", "functionCode": 3, "address": 18, "bit": 2},
            {"tag": "bit0int", "type": "16uint", "functionCode": 3, "address": 18, "bit": 0, "bitTargetType": "int"},
            {"tag": "regbits", "type": "bits", "functionCode": 3, "objectsCount": 16, "address": 19},
            {"tag": "raw", "type": "bytes", "functionCode": 3, "objectsCount": 1, "address": 19},
            {"tag": "u32le", "type": "32uint", "functionCode": 4, "objectsCount": 2, "address": 0, "wordOrder": "LITTLE"},
            {"tag": "i16le", "type": "16int", "functionCode": 4, "address": 2, "byteOrder": "LITTLE"},
            {"tag": "coils", "type": "bits", "functionCode": 1, "objectsCount": 3, "address": 0},
            {"tag": "coil0", "type": "bits", "functionCode": 1, "address": 0, "variants": {"true": "on", "false": "off"}},
            {"tag": "coil1", "type": "bits", "functionCode": 1, "address": 1, "bitTargetType": "int"},
            {"tag": "input5", "type": "bits", "functionCode": 2, "address": 5}]}]}}
        """)
        #expect(await eventually(within: 10) { await rig.telemetry(of: "M").count >= 3 })
        await rig.stop()
        let record = try #require(await rig.telemetry(of: "M").last)
        let values = Dictionary(record.values.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        let expected: [String: JSONValue] = [
            "i16": -2, "u16": 65535, "i32": -123456, "f32": 12.34, "i64": 0x0000_0001_0000_0002,
            "f64": 12.34, "text": "AB12", "half": 1.0, "scaled": 13.3, "tripled": 399, "i8": 0, "bit2": true, "bit0int": 1,
            "regbits": .array((Array(8..<16) + Array(0..<8)).map { .bool(0xA5A5 >> $0 & 1 == 1) }), "raw": "a5a5",
            "u32le": 0x1234_5678, "i16le": 0x0102, "coils": [true, false, true], "coil0": "on", "coil1": 0, "input5": true,
        ]
        for (key, value) in expected { #expect(values[key] == value, "key \(key)") }
        #expect(values.count == expected.count)
        #expect(record.timestamp.map { abs($0 - Int64(Date().timeIntervalSince1970 * 1000)) < 10_000 } == true)

        // One FC3, one FC4, one FC1, one FC2 request per poll: counted at the server. A poll or two
        // may have been under way when the rig stopped, their results never reported; one request per
        // key instead would be 13 FC3 requests per poll.
        let polls = await rig.telemetry(of: "M").count
        for code in [ModbusFunctionCode.readHoldingRegisters, .readInputRegisters, .readCoils, .readDiscreteInputs] {
            #expect((polls...(polls + 2)).contains(server.requestCount(code)), "\(code): \(server.requestCount(code)) for \(polls) polls")
        }
    }

    @Test("ON_CHANGE reports a key only when it changes; ON_RECEIVED at every poll; DISABLED never")
    func reportStrategies() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        server.setRegisters(.holding, at: 0, [7, 7, 7])
        let rig = try ConnectorRig("""
        {"master": {"slaves": [{"deviceName": "M", "host": "127.0.0.1", "port": \(server.port!), "pollPeriod": 50, "timeout": 1, "byteOrder": "BIG",
          "reportStrategy": {"type": "ON_CHANGE"},
          "timeseries": [{"tag": "changing", "type": "16uint", "functionCode": 3, "address": 0},
                         {"tag": "every", "type": "16uint", "functionCode": 3, "address": 1, "reportStrategy": {"type": "ON_RECEIVED"}},
                         {"tag": "off", "type": "16uint", "functionCode": 3, "address": 2, "reportStrategy": {"type": "DISABLED"}}]}]}}
        """)
        #expect(await eventually(within: 10) { await rig.telemetry(of: "M").count >= 4 })
        server.setRegisters(.holding, at: 0, [8])
        #expect(await eventually(within: 10) { await rig.latest("changing", of: "M") == 8 })
        let before = await rig.telemetry(of: "M").count
        #expect(await eventually(within: 10) { await rig.telemetry(of: "M").count >= before + 3 })
        await rig.stop()
        let records = await rig.telemetry(of: "M")
        let changing = records.compactMap { $0.values.first { $0.key == "changing" }?.value }
        #expect(changing == [7, 8])
        #expect(records.allSatisfy { $0.values.contains { $0.key == "every" } })
        #expect(records.allSatisfy { !$0.values.contains { $0.key == "off" } })
    }

    @Test("a dead unit on a shared connection is skipped and never stops the others")
    func deadUnitDoesNotStallLine() async throws {
        let server = try tcpServer(unitIds: [1])
        defer { server.stop() }
        server.setRegisters(.holding, at: 0, [42])
        let rig = try ConnectorRig("""
        {"master": {"slaves": [
          {"deviceName": "Alive", "host": "127.0.0.1", "port": \(server.port!), "unitId": 1, "pollPeriod": 50, "timeout": 0.1, "byteOrder": "BIG",
           "timeseries": [{"tag": "v", "type": "16uint", "functionCode": 3, "address": 0}]},
          {"deviceName": "Dead", "host": "127.0.0.1", "port": \(server.port!), "unitId": 3, "pollPeriod": 50, "timeout": 0.1,
           "retries": 0, "connectAttemptCount": 2, "waitAfterFailedAttemptsMs": 60000,
           "timeseries": [{"tag": "v", "type": "16uint", "functionCode": 3, "address": 0}]}]}}
        """)
        #expect(await eventually(within: 10) { await rig.telemetry(of: "Alive").count >= 20 })
        await rig.stop()
        #expect(await rig.telemetry(of: "Dead").isEmpty)
        #expect(await rig.presence(of: "Dead") == [])  // never connected, so never announced
        #expect(rig.logs.messages.contains { $0.contains("'Dead': no answer 2 times; skipping it for 60000 ms") })
        #expect(rig.logs.messages.contains { $0.contains("timeout reading holding registers 0 on unit 3 at 127.0.0.1:\(server.port!)") })
    }

    @Test("a slave killed and restarted recovers on its own while the other keeps reporting")
    func restartRecovers() async throws {
        let first = try tcpServer()
        let other = try tcpServer()
        defer { other.stop() }
        let port = first.port!
        first.setRegisters(.holding, at: 0, [1])
        other.setRegisters(.holding, at: 0, [2])
        let rig = try ConnectorRig("""
        {"master": {"slaves": [
          {"deviceName": "A", "host": "127.0.0.1", "port": \(port), "pollPeriod": 50, "timeout": 0.5, "byteOrder": "BIG",
           "connectAttemptTimeMs": 50, "connectAttemptCount": 1000,
           "timeseries": [{"tag": "v", "type": "16uint", "functionCode": 3, "address": 0}]},
          {"deviceName": "B", "host": "127.0.0.1", "port": \(other.port!), "pollPeriod": 50, "timeout": 0.5, "byteOrder": "BIG",
           "timeseries": [{"tag": "v", "type": "16uint", "functionCode": 3, "address": 0}]}]}}
        """)
        #expect(await eventually(within: 10) { await rig.latest("v", of: "A") == 1 })
        first.stop()
        #expect(await eventually(within: 10) { await rig.presence(of: "A") == ["connect", "disconnect"] })
        let bBefore = await rig.telemetry(of: "B").count
        #expect(await eventually(within: 10) { await rig.telemetry(of: "B").count >= bBefore + 5 })

        let restarted = try tcpServer(port: port)
        defer { restarted.stop() }
        restarted.setRegisters(.holding, at: 0, [11])
        #expect(await eventually(within: 10) { await rig.latest("v", of: "A") == 11 })
        await rig.stop()
        #expect(await rig.presence(of: "A") == ["connect", "disconnect", "connect"])
        #expect(await rig.presence(of: "B") == ["connect"])
    }
}
