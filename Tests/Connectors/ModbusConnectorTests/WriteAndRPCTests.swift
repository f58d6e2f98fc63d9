import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

@Suite("RPC and attribute writes against a real Modbus TCP server")
struct WriteAndRPCTests {
    static func config(port: Int) -> String {
        """
        {"master": {"slaves": [
          {"deviceName": "Big", "host": "127.0.0.1", "port": \(port), "unitId": 1, "pollPeriod": 60000, "timeout": 1,
           "byteOrder": "BIG", "wordOrder": "BIG", "allowedWrites": {"holdingRegisters": [[100, 107], 1]},
           "attributeUpdates": [{"tag": "setpoint", "type": "16int", "functionCode": 6, "address": 50},
                                {"tag": "label", "type": "string", "functionCode": 16, "objectsCount": 2, "address": 60}],
           "rpc": [{"tag": "setRelay", "type": "bits", "functionCode": 5, "address": 10},
                   {"tag": "getRelay", "type": "bits", "functionCode": 1, "address": 10},
                   {"tag": "setCoils", "type": "bits", "functionCode": 15, "objectsCount": 3, "address": 20},
                   {"tag": "setLimit", "type": "32float", "functionCode": 16, "objectsCount": 2, "address": 30},
                   {"tag": "getLimit", "type": "32float", "functionCode": 3, "objectsCount": 2, "address": 30},
                   {"tag": "getMode", "type": "16uint", "functionCode": 3, "address": 40, "variants": {"1": "auto"}}]},
          {"deviceName": "Little", "host": "127.0.0.1", "port": \(port), "unitId": 2, "pollPeriod": 60000, "timeout": 1,
           "byteOrder": "BIG", "wordOrder": "LITTLE", "allowedWrites": true}]}}
        """
    }

    @Test("word-order vectors of the design note, written with get/set through FC16")
    func wordOrderVectors() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        let rig = try ConnectorRig(Self.config(port: server.port!))
        let cases: [(device: String, type: String, value: String, expected: [UInt16])] = [
            ("Big", "32int", "305419896", [0x1234, 0x5678]),
            ("Little", "32int", "305419896", [0x5678, 0x1234]),
            ("Big", "32float", "12.34", [0x4145, 0x70A4]),
            ("Little", "32float", "12.34", [0x70A4, 0x4145]),
        ]
        for (index, test) in cases.enumerated() {
            let address = 100 + index * 2
            let reply = await rig.rpc(test.device, "set", .string("type=\(test.type);functionCode=16;objectsCount=2;address=\(address);value=\(test.value);"))
            #expect(resultError(reply) == nil, "\(test)")
            #expect(server.registers(.holding, at: address, count: 2) == test.expected, "\(test)")
            let back = await rig.rpc(test.device, "get", .string("type=\(test.type);functionCode=3;objectsCount=2;address=\(address);"))
            let expected: JSONValue = test.type == "32int" ? 305_419_896 : .double(12.34)
            #expect(resultValue(back) == expected, "\(test)")
        }
        #expect(server.requestCount(.writeMultipleRegisters) == 4)
        await rig.stop()
    }

    @Test("configured rpc tags write from params and read back")
    func rpcTags() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        server.setRegisters(.holding, at: 40, [1])
        let rig = try ConnectorRig(Self.config(port: server.port!))

        #expect(await rig.rpc("Big", "setRelay", true) == ["result": ["value": true]])
        #expect(server.bits(.coils, at: 10, count: 1) == [true])
        #expect(await rig.rpc("Big", "getRelay") == ["result": ["value": true]])
        #expect(await rig.rpc("Big", "setRelay", ["value": 0]) == ["result": ["value": 0]])
        #expect(server.bits(.coils, at: 10, count: 1) == [false])

        #expect(resultError(await rig.rpc("Big", "setCoils", [true, false, true])) == nil)
        #expect(server.bits(.coils, at: 20, count: 3) == [true, false, true])

        #expect(resultError(await rig.rpc("Big", "setLimit", .string("{\"value\": 2.5}").unwrappingJSONString)) == nil)
        #expect(server.registers(.holding, at: 30, count: 2) == [0x4020, 0x0000])
        #expect(await rig.rpc("Big", "getLimit", [:]) == ["result": ["value": 2.5]])
        #expect(await rig.rpc("Big", "getMode") == ["result": ["value": "auto"]])
        #expect(server.requestCount(.writeSingleCoil) == 2)
        #expect(server.requestCount(.writeMultipleCoils) == 1)
        await rig.stop()
    }

    @Test("bad requests get an error reply that says what was expected")
    func errors() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        server.addFault(.init(addresses: 250...250, behavior: .exception(.illegalDataAddress)))
        let rig = try ConnectorRig(Self.config(port: server.port!))
        let port = server.port!

        #expect(resultError(await rig.rpc("Big", "get", "address=1")) ==
                "get: 'type' is missing; expected params like \"type=16int;functionCode=3;objectsCount=1;address=0;\"")
        #expect(resultError(await rig.rpc("Big", "set", "type=16int;functionCode=6;objectsCount=1;address=0;")) ==
                "set: 'value' is missing; expected params like \"type=16int;functionCode=6;objectsCount=1;address=0;value=12;\"")
        #expect(resultError(await rig.rpc("Big", "get", "type=16int;functionCode=6;address=0;")) ==
                "get: functionCode 6 writes; get needs 1, 2, 3 or 4; expected params like \"type=16int;functionCode=3;objectsCount=1;address=0;\"")
        #expect(resultError(await rig.rpc("Big", "get", "type=int99;functionCode=3;address=0;"))?.hasPrefix("get: type: 'int99' is not one of: string, bytes") == true)
        #expect(resultError(await rig.rpc("Big", "get", "type=16int;functionCode=3;objectsCount=1;address=250;")) ==
                "illegal data address reading holding registers 250 on unit 1 at 127.0.0.1:\(port)")
        #expect(resultError(await rig.rpc("Big", "set", "type=16int;functionCode=6;address=1;value=70000;")) ==
                "cannot encode \"70000\" as 16int: value \"70000\" is out of range for type 16int")
        #expect(resultError(await rig.rpc("Big", "setRelay")) ==
                "setRelay writes bits at 10; send the value as params, e.g. {\"value\": 1}")
        #expect(resultError(await rig.rpc("Big", "reboot")) ==
                "unknown method 'reboot' for device 'Big'; known: get, set, modbus_get, modbus_set, setRelay, getRelay, setCoils, setLimit, getLimit, getMode")
        #expect(resultError(await rig.rpc("Nobody", "get")) == "unknown Modbus device 'Nobody'")
        #expect(rig.connector.errorReply("late") == ["result": ["error": "late"]])
        await rig.stop()
    }

    @Test("a shared attribute update whose key is a configured tag writes the register")
    func attributeUpdates() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        let rig = try ConnectorRig(Self.config(port: server.port!))
        await rig.connector.handleAttributeUpdate(device: "Big", values: ["setpoint": -5, "label": "OK", "unrelated": 1])
        #expect(server.registers(.holding, at: 50, count: 1) == [0xFFFB])
        #expect(server.registers(.holding, at: 60, count: 2) == [0x4F4B, 0x0000])
        #expect(server.requestCount(.writeSingleRegister) == 1)
        #expect(server.requestCount(.writeMultipleRegisters) == 1)
        await rig.stop()
    }

    @Test("an RPC overtakes a queue of slow polls on the same line")
    func rpcOvertakesPolls() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        // Every poll of the five devices takes 100 ms; an RPC must not wait for all of them.
        server.addFault(.init(addresses: 0...0, functionCodes: [.readHoldingRegisters], behavior: .delay(.milliseconds(100))))
        let slaves = (1...5).map { unit in
            """
            {"deviceName": "D\(unit)", "host": "127.0.0.1", "port": \(server.port!), "unitId": \(unit), "pollPeriod": 10, "timeout": 2,
             "timeseries": [{"tag": "v", "type": "16uint", "functionCode": 3, "address": 0}]}
            """
        }
        let rig = try ConnectorRig("{\"master\": {\"slaves\": [\(slaves.joined(separator: ","))]}}")
        #expect(await eventually(within: 10) { await rig.telemetry(of: "D5").count >= 1 })
        let clock = ContinuousClock()
        let start = clock.now
        let reply = await rig.rpc("D3", "get", "type=16uint;functionCode=3;objectsCount=1;address=7;")
        let elapsed = clock.now - start
        #expect(resultValue(reply) == 0)
        // At most the poll in flight (100 ms) plus slack on a busy machine; the queue holds 4 more.
        #expect(elapsed < .milliseconds(350), "took \(elapsed)")
        await rig.stop()
    }
}
