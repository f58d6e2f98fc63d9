import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

@Suite("the reserved set RPC writes only where the configuration allows")
struct WritePolicyTests {
    static func config(port: Int, connectorWrites: String = "", deviceWrites: String = "") -> String {
        """
        {\(connectorWrites.isEmpty ? "" : "\"allowedWrites\": \(connectorWrites),")
         "master": {"slaves": [
          {"deviceName": "Plant", "host": "127.0.0.1", "port": \(port), "unitId": 1, "pollPeriod": 60000, "timeout": 1, "byteOrder": "BIG", "wordOrder": "BIG"
           \(deviceWrites.isEmpty ? "" : ", \"allowedWrites\": \(deviceWrites)"),
           "attributeUpdates": [{"tag": "setpoint", "type": "32int", "functionCode": 16, "objectsCount": 2, "address": 50}],
           "rpc": [{"tag": "setRelay", "type": "bits", "functionCode": 5, "address": 10},
                   {"tag": "readRelay", "type": "bits", "functionCode": 1, "address": 12}]}]}}
        """
    }

    @Test("without allowedWrites: set reaches only configured write keys; elsewhere it is refused, naming the key that would allow it")
    func configuredOnly() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        let rig = try ConnectorRig(Self.config(port: server.port!))
        #expect(resultError(await rig.rpc("Plant", "set", "type=32int;functionCode=16;objectsCount=2;address=50;value=7;")) == nil)
        #expect(server.registers(.holding, at: 50, count: 2) == [0, 7])
        #expect(resultError(await rig.rpc("Plant", "set", "type=bits;functionCode=5;address=10;value=1;")) == nil)
        #expect(server.bits(.coils, at: 10, count: 1) == [true])

        let refused = resultError(await rig.rpc("Plant", "set", "type=16int;functionCode=6;address=40;value=9;"))
        #expect(refused == "set: writing holding register 40 of 'Plant' is not allowed: no configured key writes there. To allow it, add \"allowedWrites\": {\"holdingRegisters\": [40]} to the device in the Modbus connector file (or \"allowedWrites\": true for any address of the device)")
        // Half inside a configured key is still outside.
        #expect(resultError(await rig.rpc("Plant", "set", "type=32int;functionCode=16;objectsCount=2;address=51;value=1;"))?.contains("holding registers 51-52") == true)
        // A coil that is only read by the configuration.
        #expect(resultError(await rig.rpc("Plant", "set", "type=bits;functionCode=15;objectsCount=3;address=11;value=[1,1,1];"))?.contains("coils 11-13") == true)
        #expect(server.registers(.holding, at: 40, count: 1) == [0])
        #expect(server.requestCount(.writeSingleRegister) == 0 && server.requestCount(.writeMultipleCoils) == 0)
        // Reads stay open.
        #expect(resultError(await rig.rpc("Plant", "get", "type=16int;functionCode=3;address=40;")) == nil)
        await rig.stop()
    }

    @Test("allowedWrites ranges on the device, or true for the connector, open more")
    func opened() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        let ranged = try ConnectorRig(Self.config(port: server.port!, deviceWrites: #"{"holdingRegisters": [[40, 41]], "coils": [3]}"#))
        #expect(resultError(await ranged.rpc("Plant", "set", "type=32int;functionCode=16;objectsCount=2;address=40;value=5;")) == nil)
        #expect(resultError(await ranged.rpc("Plant", "set", "type=bits;functionCode=5;address=3;value=1;")) == nil)
        #expect(resultError(await ranged.rpc("Plant", "set", "type=16int;functionCode=6;address=42;value=5;")) != nil)
        await ranged.stop()
        let open = try ConnectorRig(Self.config(port: server.port!, connectorWrites: "true"))
        #expect(resultError(await open.rpc("Plant", "set", "type=16int;functionCode=6;address=250;value=5;")) == nil)
        #expect(server.registers(.holding, at: 250, count: 1) == [5])
        await open.stop()
    }

    @Test("a malformed allowedWrites is an error naming its path")
    func malformed() throws {
        let (_, diagnostics) = try loadModbus(Self.config(port: 502, deviceWrites: #"{"holdingRegisters": [[10, 5]], "inputs": [1]}"#), logs: LogCapture())
        let errors = diagnostics.errors.map(\.description)
        #expect(errors.contains { $0.contains("allowedWrites.holdingRegisters[0]: expected an address (0-65535) or [first, last] with first <= last") }, "\(errors)")
    }
}

