import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

/// 64-bit integers above 2^53 reach the platform digit for digit: through the durable
/// store, in telemetry, attributes and RPC replies.
@Suite("Modbus: 64-bit integers exact end to end", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct ExactIntegerTests {
    static let big: UInt64 = 17_275_436_391_653_061_650
    static let negative: Int64 = -1_234_567_890_123_456_789

    @Test("a 64uint of 17275436391653061650 arrives as that integer in telemetry, attributes and RPC replies")
    func exactToThePlatform() async throws {
        let broker = try MosquittoBroker()
        let server = try tcpServer()
        defer { server.stop() }
        server.setRegisters(.holding, at: 0, [0xEFBE, 0xADDE, 0x7856, 0x3412])
        server.setRegisters(.holding, at: 4, [0xEEDD, 0xEF0B, 0x8216, 0x7EEB])
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let json = """
        {"master": {"slaves": [{"deviceName": "Big", "host": "127.0.0.1", "port": \(server.port!), "pollPeriod": 100, "timeout": 1,
          "byteOrder": "BIG", "wordOrder": "BIG",
          "attributes": [{"tag": "serial", "type": "64uint", "functionCode": 3, "objectsCount": 4, "address": 0}],
          "timeseries": [{"tag": "energy", "type": "64uint", "functionCode": 3, "objectsCount": 4, "address": 0},
                         {"tag": "offset", "type": "64int", "functionCode": 3, "objectsCount": 4, "address": 4}],
          "rpc": [{"tag": "getEnergy", "type": "64uint", "functionCode": 3, "objectsCount": 4, "address": 0},
                  {"tag": "setEnergy", "type": "64uint", "functionCode": 16, "objectsCount": 4, "address": 8}]}]}}
        """
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [(type: "modbus", name: "Modbus", file: "modbus.json", json: json)],
                                         factories: [ModbusConnectorFactory()],
                                         storage: #"{"type": "file", "data_folder_path": "store", "fsync_interval_ms": 100}"#)
        #expect(await gateway.waitUntilConnected())
        func parsed(_ topic: String) -> [JSONValue] {
            platform.messages(on: topic).compactMap { try? JSONValue.parse($0.payload) }
        }
        #expect(await eventually(within: 10) { parsed("v1/gateway/telemetry").contains { $0["Big"] != nil } })
        let records = parsed("v1/gateway/telemetry").compactMap { message -> JSONValue? in
            guard let first = message["Big"]?.arrayValue?.first else { return nil }
            return first["values"]
        }
        let telemetry = try #require(records.first)
        #expect(telemetry["energy"] == .uint(Self.big))
        #expect(telemetry["offset"] == .int(Self.negative))
        let text = try #require(platform.messages(on: "v1/gateway/telemetry").first.map { String(decoding: $0.payload, as: UTF8.self) })
        #expect(text.contains("\"energy\":17275436391653061650"), "\(text)")
        #expect(text.contains("\"offset\":-1234567890123456789"), "\(text)")

        #expect(await eventually(within: 10) { parsed("v1/gateway/attributes").contains { $0["Big"]?["serial"] != nil } })
        #expect(parsed("v1/gateway/attributes").compactMap { $0["Big"]?["serial"] }.first == .uint(Self.big))

        _ = try await platform.rpc(device: "Big", id: 5, method: "getEnergy", params: NSNull())
        _ = try await platform.rpc(device: "Big", id: 6, method: "setEnergy", params: ["value": "18446744073709551615"])
        let replies = platform.messages(on: "v1/gateway/rpc").map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(replies.contains { $0.contains("\"value\":17275436391653061650") }, "\(replies)")
        #expect(replies.contains { $0.contains("\"value\":18446744073709551615") }, "\(replies)")
        #expect(server.registers(.holding, at: 8, count: 4) == [0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF])

        await gateway.stop()
        await platform.stop()
        broker.stop()
    }
}
