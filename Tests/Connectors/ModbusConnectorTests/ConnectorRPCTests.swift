import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

/// `modbus_get` / `modbus_set` sent to the gateway itself (`v1/devices/me/rpc/request/+`), as
/// ThingsBoard's gateway UI sends them (params with `connectorId`): run on every slave of the
/// connector, or on the configured slave at `host`/`port`/`unitId`, within the write policy.
@Suite("Modbus: connector RPCs sent to the gateway", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct ConnectorRPCTests {
    static func json(_ first: ModbusServer, _ second: ModbusServer) -> String {
        """
        {"id": "conn-123", "master": {"slaves": [
          {"deviceName": "A", "host": "127.0.0.1", "port": \(first.port!), "unitId": 1, "pollPeriod": 60000, "timeout": 1,
           "byteOrder": "BIG", "wordOrder": "BIG", "timeseries": [{"tag": "x", "type": "16uint", "functionCode": 3, "address": 0}]},
          {"deviceName": "B", "host": "127.0.0.1", "port": \(second.port!), "unitId": 1, "pollPeriod": 60000, "timeout": 1,
           "byteOrder": "BIG", "wordOrder": "BIG", "timeseries": [{"tag": "x", "type": "16uint", "functionCode": 3, "address": 0}],
           "attributeUpdates": [{"tag": "setpoint", "type": "16uint", "functionCode": 6, "address": 5}]}]}}
        """
    }

    @Test("modbus_get runs on every slave with a list reply; modbus_set on a configured target, only where writes are allowed")
    func connectorRPCs() async throws {
        let first = try tcpServer()
        let second = try tcpServer()
        first.setRegisters(.holding, at: 3, [11])
        second.setRegisters(.holding, at: 3, [22])
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [(type: "modbus", name: "Modbus", file: "modbus.json",
                                                                                  json: Self.json(first, second))],
                                         factories: [ModbusConnectorFactory()])
        #expect(await gateway.waitUntilConnected())

        // As the gateway UI sends it: every slave of the connector, one entry each.
        let read = try await platform.gatewayRPC(id: 41, method: "modbus_get", params: [
            "type": "16uint", "functionCode": 3, "address": 3, "objectsCount": 1, "connectorId": "conn-123"]) as? [[String: Any]]
        #expect(read?.map { $0["device_name"] as? String } == ["A", "B"], "\(String(describing: read))")
        #expect(read?.map { $0["result"] as? Int } == [11, 22], "\(String(describing: read))")

        // A target (host, port, unit) picks the configured slave there; its allowed address is written.
        let write = try await platform.gatewayRPC(id: 42, method: "modbus_set", params: [
            "type": "16uint", "functionCode": 6, "address": 5, "objectsCount": 1, "value": 77,
            "host": "127.0.0.1", "port": second.port!, "unitId": 1, "connectorId": "conn-123"]) as? [[String: Any]]
        #expect(write?.count == 1 && write?.first?["device_name"] as? String == "B" && write?.first?["result"] as? Int == 77,
                "\(String(describing: write))")
        #expect(second.registers(.holding, at: 5, count: 1) == [77])
        #expect(first.registers(.holding, at: 5, count: 1) == [0])

        // An address the configuration does not write is refused, per slave; nothing is written.
        let refused = try await platform.gatewayRPC(id: 43, method: "modbus_set", params: [
            "type": "16uint", "functionCode": 6, "address": 9, "objectsCount": 1, "value": 5]) as? [[String: Any]]
        #expect(refused?.count == 2 && refused?.allSatisfy { ($0["error"] as? String)?.contains("not allowed") == true } == true,
                "\(String(describing: refused))")
        #expect(first.registers(.holding, at: 9, count: 1) == [0] && second.registers(.holding, at: 9, count: 1) == [0])

        // A target the configuration does not name is refused, not contacted.
        let adHoc = try await platform.gatewayRPC(id: 44, method: "modbus_set", params: [
            "type": "16uint", "functionCode": 6, "address": 5, "objectsCount": 1, "value": 1, "host": "127.0.0.1", "port": 1, "unitId": 1])
            as? [[String: Any]]
        #expect((adHoc?.first?["error"] as? String)?.contains("no slave of the Modbus connector is configured at host 127.0.0.1, port 1, unit 1") == true,
                "\(String(describing: adHoc))")

        // Another connector's id: not ours, answered 404.
        let other = try await platform.gatewayRPC(id: 45, method: "modbus_get", params: [
            "type": "16uint", "functionCode": 3, "address": 3, "objectsCount": 1, "connectorId": "someone-else"]) as? [String: Any]
        #expect(other?["code"] as? Int == 404, "\(String(describing: other))")
        await gateway.stop()
        await platform.stop()
        broker.stop()
    }

    @Test("a slave that does not answer gets a timeout entry after 5 s; the others still answer")
    func slowSlave() async throws {
        let server = try tcpServer()
        let other = try tcpServer()
        other.setRegisters(.holding, at: 3, [33])
        // Address 7 is never answered; the slave's own timeout (8 s) is longer than the connector RPC's 5 s.
        server.addFault(.init(addresses: 7...7, behavior: .drop))
        let rig = try ConnectorRig("""
        {"master": {"slaves": [
          {"deviceName": "Mute", "host": "127.0.0.1", "port": \(server.port!), "unitId": 2, "pollPeriod": 60000, "timeout": 8, "retries": 0,
           "byteOrder": "BIG", "timeseries": []},
          {"deviceName": "Quick", "host": "127.0.0.1", "port": \(other.port!), "unitId": 1, "pollPeriod": 60000, "timeout": 1,
           "byteOrder": "BIG", "timeseries": []}]}}
        """)
        let started = ContinuousClock.now
        let reply = await rig.connector.handleConnectorRPC(method: "modbus_get", params: ["type": "16uint", "functionCode": 3, "address": 7, "objectsCount": 1])
        let elapsed = ContinuousClock.now - started
        #expect(reply?.arrayValue?.count == 2, "\(String(describing: reply))")
        #expect(reply?.arrayValue?.first?["error"]?.stringValue == "no reply from 'Mute' within 5.0 seconds", "\(String(describing: reply))")
        #expect(elapsed < .seconds(7), "\(elapsed)")
        // The quick slave (its own line) reads an answered address meanwhile.
        let quick = await rig.connector.handleConnectorRPC(method: "modbus_get", params: [
            "type": "16uint", "functionCode": 3, "address": 3, "objectsCount": 1, "port": .int(Int64(other.port!))])
        #expect(quick == [["result": 33, "device_name": "Quick"]], "\(String(describing: quick))")
        await rig.stop()
    }
}
