import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

/// Slaves sharing one line keep their own reconnect settings (as each slave does in the
/// Python gateway), not the first slave's.
@Suite("Modbus: reconnect settings per slave on a shared line")
struct LinePacingTests {
    @Test("a patient first slave does not hold back the second slave's reconnects")
    func ownPacing() async throws {
        let port = try Loopback.freePort()
        let rig = try ConnectorRig("""
        {"master": {"slaves": [
          {"deviceName": "Patient", "host": "127.0.0.1", "port": \(port), "unitId": 1, "pollPeriod": 100, "timeout": 0.5, "byteOrder": "BIG",
           "connectAttemptTimeMs": 60000, "connectAttemptCount": 1, "waitAfterFailedAttemptsMs": 60000,
           "timeseries": [{"tag": "x", "type": "16uint", "functionCode": 3, "address": 0}]},
          {"deviceName": "Eager", "host": "127.0.0.1", "port": \(port), "unitId": 2, "pollPeriod": 100, "timeout": 0.5, "byteOrder": "BIG",
           "connectAttemptTimeMs": 100, "connectAttemptCount": 1000, "waitAfterFailedAttemptsMs": 100,
           "timeseries": [{"tag": "y", "type": "16uint", "functionCode": 3, "address": 0}]}]}}
        """)
        // Both fail to connect first (nothing listens yet).
        #expect(await eventually(within: 5) { rig.logs.messages.contains { $0.contains("next attempt for 'Patient' in 60000 ms") } },
                "\(rig.logs.messages.suffix(5))")
        try await Task.sleep(for: .milliseconds(300))
        let server = try tcpServer(port: port)
        server.setRegisters(.holding, at: 0, [4321])
        // The eager slave reconnects on its own pacing, long before the patient one's 60 s.
        #expect(await eventually(within: 5) { await rig.latest("y", of: "Eager") == 4321 }, "\(rig.logs.messages.suffix(5))")
        await rig.stop()
        server.stop()
    }
}
