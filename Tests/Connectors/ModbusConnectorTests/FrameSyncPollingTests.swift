import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

@Suite("a polled Modbus device that loses frame sync")
struct FrameSyncPollingTests {
    @Test("after one duplicated reply the device's polls recover at once")
    func duplicatedReplyWhilePolling() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        server.setRegisters(.holding, at: 0, [1])
        let rig = try ConnectorRig("""
        {"master": {"slaves": [{"deviceName": "Meter", "host": "127.0.0.1", "port": \(server.port!), "unitId": 1, "pollPeriod": 20,
          "timeout": 1, "retries": 0, "byteOrder": "BIG",
          "timeseries": [{"tag": "a", "type": "16uint", "functionCode": 3, "address": 0},
                         {"tag": "b", "type": "16uint", "functionCode": 3, "objectsCount": 1, "address": 40}]}]}}
        """)
        #expect(await eventually(within: 10) { await rig.latest("a", of: "Meter") == 1 })
        server.addFault(.init(addresses: 0...0, behavior: .duplicate))
        let duplicated = server.requestCount(.readHoldingRegisters)
        #expect(await eventually(within: 10) { server.requestCount(.readHoldingRegisters) > duplicated })
        server.removeAllFaults()
        server.setRegisters(.holding, at: 0, [2])
        // Within a few polls the new value arrives, and later polls keep arriving.
        #expect(await eventually(within: 5) { await rig.latest("a", of: "Meter") == 2 })
        let count = await rig.telemetry(of: "Meter").count
        #expect(await eventually(within: 5) { await rig.telemetry(of: "Meter").count >= count + 10 })
        await rig.stop()
    }
}
