import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

@Suite("Modbus: get/set and modbus_get/modbus_set as the Python gateway names them")
struct ReservedRPCTests {
    @Test("get and set in any case; modbus_get and modbus_set with object params; writes still need allowedWrites")
    func reservedNames() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        server.setRegisters(.holding, at: 100, [1234])
        let rig = try ConnectorRig(WriteAndRPCTests.config(port: server.port!))

        #expect(resultValue(await rig.rpc("Big", "GET", "type=16int;functionCode=3;objectsCount=1;address=100;")) == 1234)
        #expect(resultValue(await rig.rpc("Big", "Set", "type=16int;functionCode=6;objectsCount=1;address=101;value=7;")) == 7)
        #expect(server.registers(.holding, at: 101, count: 1) == [7])

        let got = await rig.rpc("Big", "modbus_get", ["type": "16int", "functionCode": 3, "objectsCount": 1, "address": 101])
        #expect(resultValue(got) == 7, "\(got)")
        let set = await rig.rpc("Big", "modbus_set", ["type": "32int", "functionCode": 16, "objectsCount": 2, "address": 102, "value": 70000])
        #expect(resultValue(set) == 70000, "\(set)")
        #expect(server.registers(.holding, at: 102, count: 2) == [0x0001, 0x1170])

        let refused = await rig.rpc("Big", "modbus_set", ["type": "16int", "functionCode": 6, "objectsCount": 1, "address": 150, "value": 1])
        #expect(resultError(refused)?.contains("is not allowed") == true, "\(refused)")
        #expect(server.registers(.holding, at: 150, count: 1) == [0])
        let unknown = await rig.rpc("Big", "modbus_other", .null)
        #expect(resultError(unknown)?.contains("known: get, set, modbus_get, modbus_set") == true, "\(unknown)")
        await rig.stop()
    }
}
