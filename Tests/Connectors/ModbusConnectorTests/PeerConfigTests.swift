import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

/// Configurations the Python gateway 3.8.5 accepts must load here too: what we cannot
/// honour is a warning naming file and JSON path, and the rest of the connector runs.
/// The files below are written for these tests with the shapes of the example connector
/// files the Python gateway ships (`config/modbus.json`, `modbus_serial.json`,
/// `modbus_energy.json`): the same sections, keys, types and function codes.
@Suite("Modbus: the Python gateway's configurations are accepted")
struct PeerConfigTests {
    static let tcpExample = """
    {"master": {"slaves": [
      {"host": "127.0.0.1", "port": 5021, "type": "tcp", "method": "socket", "unitId": 1, "deviceName": "Demo",
       "deviceType": "default", "timeout": 35, "byteOrder": "BIG", "wordOrder": "LITTLE", "retries": 3,
       "retryOnEmpty": true, "retryOnInvalid": true, "pollPeriod": 1000, "connectAttemptTimeMs": 5000,
       "connectAttemptCount": 5, "waitAfterFailedAttemptsMs": 300000,
       "attributes": [{"tag": "power", "type": "16int", "functionCode": 3, "objectsCount": 1, "address": 2, "divider": 10}],
       "timeseries": [{"tag": "temperature", "type": "16int", "address": 0, "objectsCount": 1, "functionCode": 3, "divider": 10},
                      {"tag": "relay", "type": "bits", "address": 1, "objectsCount": 1, "functionCode": 1, "bitTargetType": "bool"}],
       "attributeUpdates": [{"tag": "relay", "type": "bits", "address": 1, "objectsCount": 1, "functionCode": 5, "bitTargetType": "bool"}],
       "rpc": [{"tag": "setRelay", "type": "bits", "address": 1, "objectsCount": 1, "functionCode": 5, "bitTargetType": "bool"},
               {"tag": "getRelay", "type": "bits", "address": 1, "objectsCount": 1, "functionCode": 1, "bitTargetType": "bool"}]}]},
     "slave": {"type": "tcp", "host": "127.0.0.1", "port": 5026, "method": "socket", "unitId": 0, "deviceName": "Slave",
       "deviceType": "default", "pollPeriod": 5000, "sendDataToThingsBoard": false, "byteOrder": "LITTLE", "wordOrder": "LITTLE",
       "identity": {}, "values": {"holding_registers": {
         "attributes": [{"address": 1, "type": "string", "tag": "sm", "objectsCount": 1, "value": "ON"}],
         "timeseries": [{"address": 2, "type": "16int", "tag": "smm", "objectsCount": 1, "value": 12334}],
         "attributeUpdates": [{"tag": "w", "type": "32int", "functionCode": 6, "objectsCount": 2, "address": 29, "value": 1243}],
         "rpc": [{"tag": "setValue", "value": 22, "type": "16int", "address": 31, "objectsCount": 1, "functionCode": 6}]},
         "coils_initializer": {"attributes": [{"address": 5, "type": "8int", "tag": "coil", "objectsCount": 1, "value": 0}],
                               "timeseries": [], "attributeUpdates": [], "rpc": []}}}}
    """

    static let serialExample = """
    {"master": {"slaves": [
      {"type": "serial", "method": "rtu", "port": "/dev/tty0", "baudrate": 9600, "timeout": 35, "stopbits": 1, "bytesize": 8,
       "byteOrder": "BIG", "wordOrder": "BIG", "retries": true, "retryOnEmpty": true, "retryOnInvalid": true, "pollPeriod": 5000,
       "unitId": 1, "deviceName": "Sensor", "sendDataOnlyOnChange": false, "connectAttemptTimeMs": 5000, "connectAttemptCount": 5,
       "waitAfterFailedAttemptsMs": 300000,
       "attributes": [{"tag": "16int", "type": "16int", "functionCode": 4, "objectsCount": 2, "address": 3}],
       "timeseries": [{"tag": "temperature", "type": "16uint", "functionCode": 4, "objectsCount": 1, "address": 1}],
       "attributeUpdates": [{"tag": "shared_attribute_write", "type": "32int", "functionCode": 6, "objectsCount": 2, "address": 29}],
       "rpc": [{"tag": "setValue", "type": "bits", "functionCode": 5, "objectsCount": 1, "address": 31},
               {"tag": "getValue", "type": "bits", "functionCode": 1, "objectsCount": 1, "address": 31}]}]}}
    """

    static let energyExample = """
    {"master": {"slaves": [
      {"host": "0.0.0.0", "port": 5040, "type": "tcp", "method": "socket", "timeout": 3, "byteOrder": "BIG", "wordOrder": "LITTLE",
       "retries": true, "retryOnEmpty": true, "retryOnInvalid": true, "pollPeriod": 1000, "unitId": 1, "deviceName": "Generator",
       "deviceType": "Generator", "connectAttemptTimeMs": 3000, "connectAttemptCount": 3, "waitAfterFailedAttemptsMs": 30000,
       "attributes": [{"tag": "hours", "type": "16int", "functionCode": 3, "objectsCount": 1, "address": 8, "divider": 10,
                       "reportStrategy": {"type": "ON_CHANGE"}}],
       "timeseries": [{"tag": "running", "type": "bits", "functionCode": 1, "objectsCount": 1, "address": 1, "reportStrategy": {"type": "ON_CHANGE"}},
                      {"tag": "oil", "type": "16int", "functionCode": 3, "objectsCount": 1, "address": 1,
                       "reportStrategy": {"type": "ON_REPORT_PERIOD", "reportPeriod": 300000}},
                      {"tag": "light", "type": "16int", "functionCode": 3, "objectsCount": 1, "address": 2, "multiplier": 10}],
       "attributeUpdates": [{"tag": "mode", "type": "16int", "functionCode": 6, "objectsCount": 1, "address": 10}],
       "rpc": [{"tag": "setRunning", "type": "bits", "functionCode": 5, "objectsCount": 1, "address": 1}]}]}}
    """

    @Test("the shapes of the Python gateway's three example files load, with warnings only", arguments: [
        ("modbus.json", tcpExample), ("modbus_serial.json", serialExample), ("modbus_energy.json", energyExample),
    ])
    func examples(_ name: String, _ json: String) throws {
        let (connector, diagnostics) = try loadModbus(json)
        #expect(diagnostics.errors.isEmpty, "\(name): \(diagnostics.errors)")
        #expect(connector != nil, "\(name)")
        for warning in diagnostics.warnings {
            #expect(warning.file == "connectors/modbus.json" && warning.path.hasPrefix("$."), "\(warning)")
        }
    }

    @Test("the example's slave section is served next to the master part; without sendDataToThingsBoard it adds no device")
    func slaveSectionServed() throws {
        let (connector, diagnostics) = try loadModbus(Self.tcpExample)
        #expect(connector?.configs.map(\.name) == ["Demo"])
        #expect(!diagnostics.all.contains { $0.path.hasPrefix("$.slave") }, "\(diagnostics.all)")
        let slave = try #require(connector?.slave)
        #expect(slave.transport == .tcp(host: "127.0.0.1", port: 5026))
        #expect(slave.initial.count == 5)
    }

    @Test("coil and coils are the peer's aliases of bits")
    func coilAliases() throws {
        let (connector, diagnostics) = try loadModbus("""
        {"master": {"slaves": [{"deviceName": "M", "host": "h",
          "timeseries": [{"tag": "a", "type": "coil", "functionCode": 1, "address": 0},
                         {"tag": "b", "type": "coils", "functionCode": 2, "objectsCount": 3, "address": 4}],
          "rpc": [{"tag": "c", "type": "COILS", "functionCode": 15, "objectsCount": 2, "address": 9}]}]}}
        """)
        #expect(diagnostics.all.isEmpty, "\(diagnostics.all)")
        let device = try #require(connector?.configs.first)
        #expect(device.timeseries.map(\.codec.type) == [.bits, .bits])
        #expect(device.rpc.first?.codec.type == .bits)
    }

    @Test("bits written with function code 5 and objectsCount > 1: a warning, the first bit is written")
    func singleCoilManyBits() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        let json = """
        {"master": {"slaves": [{"deviceName": "M", "host": "127.0.0.1", "port": \(server.port!), "pollPeriod": 60000, "timeout": 1,
          "rpc": [{"tag": "setMany", "type": "bits", "functionCode": 5, "objectsCount": 3, "address": 7}]}]}}
        """
        let (_, diagnostics) = try loadModbus(json)
        #expect(diagnostics.errors.isEmpty)
        #expect(diagnostics.warnings.map(\.description).contains {
            $0.hasPrefix("warning: connectors/modbus.json: $.master.slaves[0].rpc[0].objectsCount: function code 5 writes one coil")
        })
        let rig = try ConnectorRig(json)
        let reply = await rig.rpc("M", "setMany", [true, false, true])
        #expect(resultError(reply) == nil, "\(reply)")
        #expect(server.bits(.coils, at: 7, count: 3) == [true, false, false])
        #expect(server.requestCount(.writeSingleCoil) == 1)
        await rig.stop()
    }

    @Test("function code 6 with a 2-register value: accepted with a warning, the write fails as the peer's does")
    func singleRegisterTwoWords() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        let json = """
        {"master": {"slaves": [{"deviceName": "M", "host": "127.0.0.1", "port": \(server.port!), "pollPeriod": 60000, "timeout": 1,
          "attributeUpdates": [{"tag": "w", "type": "32int", "functionCode": 6, "objectsCount": 2, "address": 29}],
          "rpc": [{"tag": "setWide", "type": "32int", "functionCode": 6, "objectsCount": 2, "address": 29}]}]}}
        """
        let (_, diagnostics) = try loadModbus(json)
        #expect(diagnostics.errors.isEmpty)
        #expect(diagnostics.warnings.map(\.path) == ["$.master.slaves[0].attributeUpdates[0].objectsCount", "$.master.slaves[0].rpc[0].objectsCount"])
        let rig = try ConnectorRig(json)
        let reply = await rig.rpc("M", "setWide", 70000)
        #expect(resultError(reply)?.contains("function code 6 writes one, use 16") == true, "\(reply)")
        #expect(server.requestCount(.writeSingleRegister) == 0)
        await rig.stop()
    }

    @Test("an RPC entry with a type we do not know is a warning; the others work and it answers 'unknown method'")
    func unknownRPCType() async throws {
        let (connector, diagnostics) = try loadModbus("""
        {"master": {"slaves": [{"deviceName": "M", "host": "127.0.0.1", "port": 1, "pollPeriod": 60000,
          "rpc": [{"tag": "odd", "type": "dword/integer", "functionCode": 6, "address": 1},
                  {"tag": "fine", "type": "16int", "functionCode": 6, "address": 2}]}]}}
        """)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.errors)")
        let warning = try #require(diagnostics.warnings.first)
        #expect(warning.path == "$.master.slaves[0].rpc[0].type")
        #expect(warning.message.contains("'dword/integer' is not one of") && warning.message.contains("this RPC method is left out"))
        let device = try #require(connector?.configs.first)
        #expect(device.rpc.map(\.tag) == ["fine"])
        let reply = await try #require(connector).handleRPC(RPCCall(device: "M", id: 1, method: "odd", params: 1))
        #expect(resultError(reply)?.hasPrefix("unknown method 'odd'") == true)
    }
}
