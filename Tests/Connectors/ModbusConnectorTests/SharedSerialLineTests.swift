import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

@Suite("Modbus: several slaves on one RTU line", .enabled(if: PtyPair.socat != nil, "socat is not installed"))
struct SharedSerialLineTests {
    @Test("an RTU server answers several unit ids; each slave on the shared line keeps its own timeout and retries")
    func severalUnitsOwnTimeouts() async throws {
        let line = try PtyPair()
        defer { line.stop() }
        let server = try ModbusServer(.rtu(.init(device: line.first, baudRate: 115_200), unitId: 3),
                                      configuration: .init(coils: 20, discreteInputs: 20, holdingRegisters: 20, inputRegisters: 20, unitIds: [3, 7]))
        defer { server.stop() }
        server.setRegisters(.holding, at: 0, [321])
        func slave(_ name: String, _ unit: Int, timeout: Double, retries: Int, keys: Bool) -> String {
            """
            {"deviceName": "\(name)", "type": "serial", "port": "\(line.second)", "baudrate": 115200, "unitId": \(unit),
             "pollPeriod": 100, "timeout": \(timeout), "retries": \(retries), "byteOrder": "BIG", "connectAttemptCount": 1000,
             "timeseries": [\(keys ? #"{"tag": "v", "type": "16uint", "functionCode": 3, "address": 0}"# : "")]}
            """
        }
        // The absent slaves come first: with one line policy for all, theirs would win.
        let rig = try ConnectorRig("""
        {"master": {"slaves": [\(slave("Slow", 11, timeout: 0.6, retries: 2, keys: false)), \(slave("Quick", 9, timeout: 0.1, retries: 0, keys: false)),
                               \(slave("Three", 3, timeout: 1, retries: 1, keys: true)), \(slave("Seven", 7, timeout: 1, retries: 1, keys: true))]}}
        """)
        #expect(await eventually(within: 10) { let three = await rig.latest("v", of: "Three"); let seven = await rig.latest("v", of: "Seven"); return three == 321 && seven == 321 })

        let get = "type=16uint;functionCode=3;objectsCount=1;address=0;"
        var began = Date()
        let quick = await rig.rpc("Quick", "get", .string(get))
        let quickSeconds = Date().timeIntervalSince(began)
        #expect(resultError(quick) != nil, "\(quick)")
        began = Date()
        let slow = await rig.rpc("Slow", "get", .string(get))
        let slowSeconds = Date().timeIntervalSince(began)
        #expect(resultError(slow) != nil, "\(slow)")
        // Quick: one attempt of 0.1 s. Slow: three attempts of 0.6 s.
        #expect(quickSeconds < 1.0, "\(quickSeconds)")
        #expect(slowSeconds >= 1.7, "\(slowSeconds)")
        #expect(resultValue(await rig.rpc("Seven", "get", .string(get))) == 321)
        await rig.stop()
    }

    @Test("stopping a line with a mute slave waits for the request in flight only, not for its retries and other requests")
    func stopDoesNotWaitForRetries() async throws {
        let line = try PtyPair()
        defer { line.stop() }
        // Nobody answers on the line: every request times out after 1 s, with 3 retries each.
        let rig = try ConnectorRig("""
        {"master": {"slaves": [{"deviceName": "Mute", "type": "serial", "port": "\(line.second)", "baudrate": 115200, "unitId": 2,
          "pollPeriod": 100, "timeout": 1, "retries": 3,
          "timeseries": [{"tag": "a", "type": "16uint", "functionCode": 3, "address": 0},
                         {"tag": "b", "type": "16uint", "functionCode": 4, "address": 0},
                         {"tag": "c", "type": "bits", "functionCode": 1, "address": 0}]}]}}
        """)
        try await Task.sleep(for: .milliseconds(300))
        let began = Date()
        await rig.stop()
        let seconds = Date().timeIntervalSince(began)
        // Without the stop check: up to 4 attempts of 1 s for each of the poll's requests.
        #expect(seconds < 2.5, "stop took \(seconds) s")
    }
}
