import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

@Suite("small defects of the hardening review")
struct SmallHardeningTests {
    @Test("a device name used twice is reported at the second slave, naming the first")
    func duplicateNamePath() throws {
        let (connector, diagnostics) = try loadModbus("""
        {"master": {"slaves": [{"deviceName": "M", "host": "h", "timeseries": []},
                               {"deviceName": "M", "host": "h2", "timeseries": []}]}}
        """)
        #expect(connector == nil)
        #expect(diagnostics.errors.map(\.description) == [
            "error: connectors/modbus.json: $.master.slaves[1].deviceName: the device name 'M' is already used by the slave at $.master.slaves[0]; device names must be unique",
        ])
    }

    @Test("set with a number as text (hex too) writes it and replies with the number written")
    func valueAsText() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        let rig = try ConnectorRig("""
        {"master": {"slaves": [{"deviceName": "D", "host": "127.0.0.1", "port": \(server.port!), "pollPeriod": 60000, "timeout": 1,
          "byteOrder": "BIG", "allowedWrites": true}]}}
        """)
        #expect(await rig.rpc("D", "set", "type=16uint;functionCode=6;address=3;value=0x10;") == ["result": ["value": 16]])
        #expect(server.registers(.holding, at: 3, count: 1) == [16])
        #expect(await rig.rpc("D", "set", "type=16int;functionCode=6;address=4;value=-12;") == ["result": ["value": -12]])
        await rig.stop()
    }
}
