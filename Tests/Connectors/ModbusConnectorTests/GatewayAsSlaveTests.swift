import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

/// The `slave` section: the gateway serves registers to a SCADA master (here libmodbus's
/// client through ModbusConnection, on its own thread of the test), as the Python gateway does.
@Suite("Modbus: the gateway as a Modbus slave", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct GatewayAsSlaveTests {
    static func json(port: Int) -> String {
        """
        {"master": {"slaves": []},
         "slave": {"type": "tcp", "host": "127.0.0.1", "port": \(port), "method": "socket", "unitId": 0, "deviceName": "Gateway Slave",
          "deviceType": "scada", "pollPeriod": 100, "sendDataToThingsBoard": true, "byteOrder": "BIG", "wordOrder": "BIG", "identity": {},
          "values": {
            "holding_registers": {
              "attributes": [{"address": 1, "type": "string", "tag": "sm", "objectsCount": 1, "value": "ON"}],
              "timeseries": [{"address": 2, "type": "16int", "tag": "smm", "objectsCount": 1, "value": 12334},
                             {"address": 3, "type": "32uint", "tag": "total", "objectsCount": 2, "value": 70000}],
              "attributeUpdates": [{"tag": "setpoint", "type": "16int", "functionCode": 6, "objectsCount": 1, "address": 29, "value": 5}],
              "rpc": [{"tag": "setValue", "value": 22, "type": "16int", "address": 31, "objectsCount": 1, "functionCode": 6}]},
            "coils_initializer": {
              "attributes": [{"address": 5, "type": "bits", "tag": "coil", "objectsCount": 1, "value": 1}],
              "timeseries": [], "attributeUpdates": [], "rpc": []}}}}
        """
    }

    @Test("the master reads the configured values, its writes reach the platform, the platform's writes reach the master")
    func roundTrip() async throws {
        let port = try Loopback.freePort()
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [(type: "modbus", name: "Modbus", file: "modbus.json", json: Self.json(port: port))],
                                         factories: [ModbusConnectorFactory()])
        #expect(await gateway.waitUntilConnected())

        // An independent master: libmodbus's client, used from this test's own thread.
        let master = try ModbusConnection(endpoint: .tcp(host: "127.0.0.1", port: port))
        try master.setResponseTimeout(.seconds(1))
        var connected = false
        for _ in 0..<50 where !connected {
            if (try? master.connect()) != nil { connected = true } else { usleep(100_000) }
        }
        try #require(connected)
        try master.setSlave(1)
        #expect(try master.readHoldingRegisters(address: 1, count: 4) == [0x4F4E, 12334, 0x0001, 0x1170])
        #expect(try master.readCoils(address: 5, count: 1) == [true])
        #expect(try master.readHoldingRegisters(address: 29, count: 1) == [5])

        // The initial values reach the platform, then what the master writes.
        #expect(await eventually(within: 10) { platform.telemetry(of: "Gateway Slave").contains { $0.values["smm"] as? Int == 12334 } })
        try master.writeRegister(address: 2, value: 777)
        try master.writeRegisters(address: 3, values: [0x0002, 0x0000])
        #expect(await eventually(within: 10) {
            platform.telemetry(of: "Gateway Slave").contains { $0.values["smm"] as? Int == 777 && $0.values["total"] as? Int == 131_072 }
        })
        let attributes = await platform.waitFor("v1/gateway/attributes") { ($0["Gateway Slave"] as? [String: Any])?["sm"] as? String == "ON" }
        #expect(attributes != nil)

        // The platform's attribute update and RPC change what the master reads.
        try await platform.updateSharedAttributes(device: "Gateway Slave", ["setpoint": 99])
        #expect(await eventually(within: 10) { (try? master.readHoldingRegisters(address: 29, count: 1)) == [99] })
        let reply = try await platform.rpc(device: "Gateway Slave", id: 3, method: "setValue", params: ["value": -4])
        #expect((reply?["result"] as? [String: Any])?["value"] as? Int == -4, "\(String(describing: reply))")
        #expect(try master.readHoldingRegisters(address: 31, count: 1) == [0xFFFC])

        master.close()
        await gateway.stop()
        // The server stops with the connector.
        let after = try ModbusConnection(endpoint: .tcp(host: "127.0.0.1", port: port))
        try after.setResponseTimeout(.milliseconds(300))
        #expect(throws: ModbusError.self) { try after.connect() }
        await platform.stop()
        broker.stop()
    }

    @Test("check accepts the slave section; keys are checked with their real paths")
    func check() throws {
        let (connector, diagnostics) = try loadModbus(Self.json(port: 5026))
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.errors)")
        let device = try #require(connector?.configs.first)
        #expect(device.name == "Gateway Slave" && device.endpoint == .tcp(host: "127.0.0.1", port: 5026))
        #expect(device.timeseries.map(\.tag) == ["smm", "total"] && Set(device.attributes.map(\.tag)) == ["sm", "coil"])
        let (_, bad) = try loadModbus("""
        {"slave": {"type": "tcp", "port": 5026, "sendDataToThingsBoard": true,
          "values": {"holding_registers": {"timeseries": [{"address": 2, "type": "int17", "tag": "x", "value": 1}]}}}}
        """)
        #expect(bad.errors.map(\.path) == ["$.slave.values.holding_registers.timeseries[0].type"], "\(bad.all)")
    }
}
