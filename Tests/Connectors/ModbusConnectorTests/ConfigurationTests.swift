import IronbridgeCore
import IronbridgeModbus
@testable import ModbusConnector
import Testing

@Suite("Modbus configuration in the Python gateway's format")
struct ConfigurationTests {
    @Test("a minimal 3.x slave gets the Python gateway's defaults")
    func defaults() throws {
        let (connector, diagnostics) = try loadModbus("""
        {"master": {"slaves": [{"deviceName": "M", "host": "10.0.0.7",
          "timeseries": [{"tag": "t", "type": "32int", "functionCode": 3, "address": 4}]}]}}
        """)
        #expect(diagnostics.all.isEmpty)
        let device = try #require(connector?.configs.first)
        #expect(device.type == "default")
        #expect(device.endpoint == .tcp(host: "10.0.0.7", port: 502))
        #expect(device.unitId == 1)
        #expect(device.pollPeriodMs == 5000)
        #expect(device.timeoutMs == 35_000)
        #expect(device.byteOrder == .little && device.wordOrder == .little)
        #expect(device.policy == ModbusRetryPolicy(retries: 3, connectAttemptTimeMs: 500, connectAttemptCount: 5, waitAfterFailedAttemptsMs: 300_000))
        #expect(device.delayBetweenRequestsMs == 0)
        #expect(device.reportStrategy == .onReceived)
        let key = try #require(device.timeseries.first)
        #expect(key.codec.registerCount == 2)
        #expect(key.codec.byteOrder == .little && key.codec.wordOrder == .little)
    }

    @Test("errors name the file, the JSON path and the valid choices")
    func errorsNamePath() throws {
        let (connector, diagnostics) = try loadModbus("""
        {"master": {"slaves": [{"deviceName": "M", "host": "h",
          "timeseries": [{"tag": "a", "type": "16int", "functionCode": 3, "address": 0},
                         {"tag": "b", "type": "int17", "functionCode": 3, "address": 1},
                         {"tag": "c", "type": "16int", "functionCode": 7, "address": 70000}]}]}}
        """)
        #expect(connector == nil)
        let types = ModbusDataType.allCases.map(\.rawValue).joined(separator: ", ")
        #expect(diagnostics.errors.map(\.description) == [
            "error: connectors/modbus.json: $.master.slaves[0].timeseries[1].type: 'int17' is not one of: \(types)",
            "error: connectors/modbus.json: $.master.slaves[0].timeseries[2].functionCode: 7 is not allowed in timeseries: expected one of 1, 2, 3, 4",
            "error: connectors/modbus.json: $.master.slaves[0].timeseries[2].address: 70000 is out of range: expected 0 to 65535",
        ])
    }

    @Test("unsupported features are rejected or warned about, never silently ignored")
    func unsupported() throws {
        let (connector, diagnostics) = try loadModbus("""
        {"master": {"slaves": [
           {"deviceName": "A", "type": "serial", "method": "ascii", "port": "/dev/ttyUSB0", "timeseries": []},
           {"deviceName": "B", "host": "h", "retryOnEmpty": true, "colour": "red",
            "timeseries": [{"tag": "x", "type": "16int", "functionCode": 1, "address": 0}]}]},
         "slave": {"type": "tcp", "port": 5026}}
        """)
        #expect(connector == nil)
        let messages = diagnostics.all.map(\.description)
        #expect(!messages.contains { $0.contains("$.slave") })
        #expect(!messages.contains { $0.contains("slaves[0].method") })
        #expect(messages.contains("error: connectors/modbus.json: $.master.slaves[1].timeseries[0].type: '16int' cannot be carried by function code 1 (read coils); bit functions need type 'bits'"))
        #expect(messages.contains { $0.hasPrefix("warning: connectors/modbus.json: $.master.slaves[1].retryOnEmpty: is not supported and is ignored") })
        #expect(messages.contains { $0.hasPrefix("warning: connectors/modbus.json: $.master.slaves[1].colour: unknown key, ignored") })
    }

    @Test("the 2.x server.devices format shares the server's connection settings")
    func legacyFormat() throws {
        let (connector, diagnostics) = try loadModbus("""
        {"server": {"type": "tcp", "host": "127.0.0.1", "port": 5020, "timeout": 2, "byteOrder": "BIG",
          "devices": [
            {"unitId": 1, "deviceName": "A", "attributesPollPeriod": 5000, "timeseriesPollPeriod": 1000,
             "timeseries": [{"tag": "t", "type": "long", "functionCode": 4, "objectsCount": 2, "address": 0}],
             "rpc": {"setValue": {"type": "bit", "functionCode": 5, "objectsCount": 1, "address": 31}}},
            {"unitId": 2, "deviceName": "B", "timeseries": [{"tag": "t", "type": "16uint", "functionCode": 3, "address": 0}]}]}}
        """)
        #expect(diagnostics.errors.isEmpty)
        let devices = try #require(connector?.configs)
        #expect(devices.map(\.name) == ["A", "B"])
        #expect(devices.map(\.unitId) == [1, 2])
        #expect(devices.allSatisfy { $0.endpoint == .tcp(host: "127.0.0.1", port: 5020) && $0.timeoutMs == 2000 && $0.byteOrder == .big })
        #expect(devices[0].pollPeriodMs == 1000)
        #expect(devices[0].timeseries[0].codec.type == .int32)
        #expect(devices[0].rpc.map(\.tag) == ["setValue"])
        #expect(devices[0].rpc[0].codec.type == .bits)
    }

    @Test("serial slaves read baud rate, parity, data and stop bits")
    func serial() throws {
        let (connector, diagnostics) = try loadModbus("""
        {"master": {"slaves": [{"deviceName": "S", "type": "serial", "method": "rtu", "port": "/dev/ttyUSB0",
          "baudrate": 9600, "parity": "E", "bytesize": 7, "stopbits": 2, "unitId": 17, "timeseries": []}]}}
        """)
        #expect(diagnostics.all.isEmpty)
        #expect(connector?.configs.first?.endpoint == .rtu(.init(device: "/dev/ttyUSB0", baudRate: 9600, parity: .even, dataBits: 7, stopBits: 2)))
    }

    @Test("report strategies: key over device over connector over gateway; sendDataOnlyOnChange means ON_CHANGE")
    func strategies() throws {
        let (connector, diagnostics) = try loadModbus("""
        {"reportStrategy": {"type": "ON_CHANGE"},
         "master": {"slaves": [
           {"deviceName": "A", "host": "h", "reportStrategy": {"type": "ON_REPORT_PERIOD", "reportPeriod": 3000},
            "timeseries": [{"tag": "k", "type": "16int", "functionCode": 3, "address": 0, "reportStrategy": {"type": "DISABLED"}},
                           {"tag": "d", "type": "16int", "functionCode": 3, "address": 1}]},
           {"deviceName": "B", "host": "h", "timeseries": []}]}}
        """, gatewayStrategy: ["type": "ON_CHANGE_OR_REPORT_PERIOD", "reportPeriod": 1000])
        #expect(diagnostics.all.isEmpty)
        let devices = try #require(connector?.configs)
        #expect(devices[0].timeseries.map(\.reportStrategy.kind) == [.disabled, .onReportPeriod])
        #expect(devices[0].timeseries[1].reportStrategy.reportPeriodMs == 3000)
        #expect(devices[1].reportStrategy.kind == .onChange)

        let (gatewayOnly, _) = try loadModbus("""
        {"master": {"slaves": [{"deviceName": "C", "host": "h", "sendDataOnlyOnChange": false, "timeseries": []},
                               {"deviceName": "D", "host": "h", "sendDataOnlyOnChange": true, "timeseries": []}]}}
        """, gatewayStrategy: ["type": "ON_CHANGE_OR_REPORT_PERIOD", "reportPeriod": 1000])
        #expect(gatewayOnly?.configs.map(\.reportStrategy) == [
            ModbusReportStrategy(kind: .onChangeOrReportPeriod, reportPeriodMs: 1000), ModbusReportStrategy(kind: .onChange)])
    }

    @Test("check prints the coalesced requests per device")
    func summaryShowsPlan() throws {
        let (connector, _) = try loadModbus("""
        {"master": {"slaves": [{"deviceName": "M", "host": "127.0.0.1", "port": 5020, "maxRegistersPerRequest": 10,
          "timeseries": [{"tag": "a", "type": "16int", "functionCode": 3, "address": 0},
                         {"tag": "b", "type": "32float", "functionCode": 3, "address": 2},
                         {"tag": "c", "type": "64int", "functionCode": 3, "address": 8},
                         {"tag": "d", "type": "bits", "functionCode": 1, "objectsCount": 3, "address": 0}]}]}}
        """)
        let details = try #require(connector?.summary.devices.first?.details)
        #expect(Array(details.dropFirst()) == [
            "reads: 3 request(s) per poll for 4 key(s)",
            "  FC1 bits 0..2 (3): d",
            "  FC3 registers 0..3 (4): a, b",
            "  FC3 registers 8..11 (4): c",
        ])
    }
}
