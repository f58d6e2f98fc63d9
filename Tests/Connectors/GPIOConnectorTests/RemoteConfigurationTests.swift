import CGPIODMock
import Foundation
import GPIOConnector
import IronbridgeCore
import IronbridgeModbus
import IronbridgeMQTT
import IronbridgeTestSupport
import ModbusConnector
import Synchronization
import Testing

extension ConnectorOnLibgpiod {
@Suite("Remote configuration from ThingsBoard's gateway UI", .serialized, .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct RemoteConfigurationTests {
    static let gpioJSON = """
    {"devices": [{"deviceName": "Panel", "chip": "%CHIP%", "lines": [
      {"pin": 5, "key": "pump", "direction": "output", "initial": 0},
      {"pin": 17, "key": "door", "direction": "input", "edge": "both", "bias": "pull-up"}]}]}
    """

    static func slave(_ device: String, port: Int, tag: String, address: Int) -> [String: Any] {
        ["deviceName": device, "type": "tcp", "host": "127.0.0.1", "port": port, "unitId": 1, "pollPeriod": 100, "timeout": 1, "byteOrder": "BIG",
         "timeseries": [["tag": tag, "type": "16uint", "functionCode": 3, "objectsCount": 1, "address": address]]]
    }

    static func connector(_ name: String, ts: Int64, slaves: [[String: Any]]) -> [String: Any] {
        ["name": name, "type": "modbus", "mode": "basic", "logLevel": "INFO", "enableRemoteLogging": false,
         "configuration": "modbus_2.json", "configVersion": "3.8.5",
         "configurationJson": ["master": ["slaves": slaves]], "ts": ts]
    }

    /// A gateway with a GPIO connector and a Modbus connector from files, remote configuration on.
    struct Rig {
        let broker: MosquittoBroker
        let platform: PlatformStandIn
        let ui: GatewayUIStandIn
        let harness: GatewayHarness
        let chip: ConnectorMockChip
        let serverA: ModbusServer
        let serverB: ModbusServer

        init() async throws {
            broker = try MosquittoBroker()
            platform = try await PlatformStandIn(brokerPort: broker.port)
            ui = GatewayUIStandIn(platform: platform)
            chip = ConnectorMockChip()
            serverA = try ModbusServer(.tcp(host: "127.0.0.1", port: 0), configuration: .init(holdingRegisters: 100))
            serverB = try ModbusServer(.tcp(host: "127.0.0.1", port: 0), configuration: .init(holdingRegisters: 100))
            serverA.setRegisters(.holding, at: 0, [11])
            serverB.setRegisters(.holding, at: 0, [22])
            serverB.setRegisters(.holding, at: 1, [33])
            let modbusA = String(decoding: try JSONSerialization.data(withJSONObject: ["master": ["slaves": [RemoteConfigurationTests.slave("Meter A", port: serverA.port!, tag: "a", address: 0)]]]), as: UTF8.self)
            harness = try GatewayHarness(
                brokerPort: broker.port,
                connectors: [(type: "gpio", name: "GPIO", file: "gpio.json", json: RemoteConfigurationTests.gpioJSON.replacingOccurrences(of: "%CHIP%", with: chip.name)),
                             (type: "modbus", name: "Modbus", file: "modbus.json", json: modbusA)],
                factories: [GPIOConnectorFactory(), ModbusConnectorFactory()],
                thingsboardExtra: #", "remoteConfiguration": true"#)
        }

        func stop() async {
            await harness.stop()
            ui.stop()
            await platform.stop()
            _ = serverA.stop()
            _ = serverB.stop()
            broker.stop()
        }

        /// Times the GPIO connector's output line was requested (1: never released since start).
        var gpioRequests: Int32 { gpiod_mock_line_request_count(chip.name, 5) }

        func file(_ name: String) -> String? { try? String(contentsOf: harness.folder.appendingPathComponent(name), encoding: .utf8) }

        func configConnectorNames() -> [String] {
            guard let data = try? Data(contentsOf: harness.folder.appendingPathComponent("config.json")),
                  let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
            return (root["connectors"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        }
    }

    @Test("on connect the client attributes the UI reads are published, with no secret in them, and the shared ones are requested")
    func clientAttributesOnConnect() async throws {
        let rig = try await Rig()
        #expect(await rig.harness.waitUntilConnected())
        #expect(await eventually(within: 10) { rig.ui.clientAttribute("Version") != nil && rig.ui.clientAttribute("Modbus") != nil })
        #expect(rig.ui.clientAttribute("Version") as? String == "3.8.5")
        let general = try #require(rig.ui.clientAttribute("general_configuration") as? [String: Any])
        #expect(general["host"] as? String == "127.0.0.1")
        #expect(general["port"] as? Int == rig.broker.port)
        #expect((general["security"] as? [String: Any])?["type"] as? String == "accessToken")
        #expect((general["security"] as? [String: Any])?["accessToken"] == nil)
        #expect(general["ts"] is NSNumber)
        let everything = rig.platform.messages(on: "v1/devices/me/attributes").map { String(decoding: $0.payload, as: UTF8.self) }.joined()
        #expect(!everything.contains("test-token"), "the access token was published")
        #expect((rig.ui.clientAttribute("storage_configuration") as? [String: Any])?["type"] as? String == "memory")
        let logs = try #require(rig.ui.clientAttribute("logs_configuration") as? [String: Any])
        #expect(((logs["formatters"] as? [String: Any])?["LogFormatter"] as? [String: Any])?["datefmt"] is String)
        #expect(Set(rig.ui.clientAttribute("active_connectors") as? [String] ?? []) == ["GPIO", "Modbus"])
        let gpio = try #require(rig.ui.clientAttribute("GPIO") as? [String: Any])
        #expect(gpio["type"] as? String == "gpio")
        #expect(gpio["configuration"] as? String == "gpio.json")
        #expect(((gpio["configurationJson"] as? [String: Any])?["devices"] as? [Any])?.count == 1)
        let requested = await eventually(within: 10) {
            rig.platform.messages.contains { message in
                message.topic.hasPrefix("v1/devices/me/attributes/request/")
                    && String(decoding: message.payload, as: UTF8.self).contains("active_connectors")
            }
        }
        #expect(requested, "the shared attributes were not requested")
        await rig.stop()
    }

    @Test("a Modbus connector added, changed and refused from the UI: applied without a restart while the others keep running, persisted with a backup, echoed as synced")
    func addChangeRefuse() async throws {
        let rig = try await Rig()
        #expect(await rig.harness.waitUntilConnected())
        #expect(await eventually(within: 10) { rig.platform.telemetry(of: "Meter A").count >= 2 && rig.platform.telemetry(of: "Panel").count >= 1 })
        #expect(rig.gpioRequests == 1)
        let gpioConnector = try #require(rig.harness.gateway.connector(named: "GPIO"))
        let modbusConnector = try #require(rig.harness.gateway.connector(named: "Modbus"))

        // Added: the UI writes active_connectors and the connector attribute.
        let portB = rig.serverB.port!
        let added = Self.connector("Modbus 2", ts: 1_735_000_000_000, slaves: [Self.slave("Meter B", port: portB, tag: "level", address: 0)])
        try await rig.ui.write(["active_connectors": ["Modbus 2"], "Modbus 2": added])
        #expect(await eventually(within: 15) { rig.platform.telemetry(of: "Meter B").contains { ($0.values["level"] as? Int) == 22 } },
                "the added connector does not poll")
        #expect(await eventually(within: 10) { rig.ui.isSynced("Modbus 2") }, "the added connector was not echoed back as synced")
        #expect(rig.configConnectorNames() == ["GPIO", "Modbus", "Modbus 2"])
        #expect(rig.file("modbus_2.json")?.contains("\"level\"") == true)
        #expect(rig.harness.gateway.connector(named: "GPIO") === gpioConnector)
        #expect(rig.harness.gateway.connector(named: "Modbus") === modbusConnector, "the other Modbus connector was restarted")

        // Changed: another register under another key; GPIO keeps its lines.
        let changed = Self.connector("Modbus 2", ts: 1_735_000_100_000, slaves: [Self.slave("Meter B", port: portB, tag: "level2", address: 1)])
        try await rig.ui.write(["Modbus 2": changed])
        #expect(await eventually(within: 15) { rig.platform.telemetry(of: "Meter B").contains { ($0.values["level2"] as? Int) == 33 } },
                "the changed connector was not applied")
        #expect(await eventually(within: 10) { rig.ui.isSynced("Modbus 2") }, "the changed connector was not echoed back as synced")
        #expect(rig.file("modbus_2.json")?.contains("\"level2\"") == true)
        #expect(rig.file("modbus_2.json.bak")?.contains("\"level\"") == true && rig.file("modbus_2.json.bak")?.contains("level2") == false,
                "the previous file was not kept as a backup")
        #expect(rig.gpioRequests == 1, "the GPIO lines were released and requested again")
        #expect(GPIOMockLines.isRequested(chip: rig.chip.name, offset: 5))
        #expect(rig.harness.gateway.connector(named: "GPIO") === gpioConnector)
        let meterAValues = rig.platform.telemetry(of: "Meter A").count
        #expect(await eventually(within: 10) { rig.platform.telemetry(of: "Meter A").count > meterAValues + 2 }, "the first Modbus connector stopped polling")

        // Refused: an address out of range; the old configuration keeps running.
        let errorsBefore = rig.harness.gateway.statistics.errors.totals.perConnector["Modbus 2"] ?? 0
        let bad = Self.connector("Modbus 2", ts: 1_735_000_200_000, slaves: [Self.slave("Meter B", port: portB, tag: "bad", address: 70000)])
        try await rig.ui.write(["Modbus 2": bad])
        #expect(await eventually(within: 10) { !rig.harness.logs.messages(atLeast: .error, connector: "Modbus 2").isEmpty })
        let line = try #require(rig.harness.logs.messages(atLeast: .error, connector: "Modbus 2").first)
        #expect(line.contains("Modbus 2") && line.contains("$.master.slaves[0].timeseries[0].address"), "\(line)")
        #expect(rig.harness.gateway.statistics.errors.totals.perConnector["Modbus 2"] == errorsBefore + 1)
        let levels = rig.platform.telemetry(of: "Meter B").count
        #expect(await eventually(within: 10) { rig.platform.telemetry(of: "Meter B").count > levels + 2 }, "the old configuration stopped")
        #expect(!rig.platform.telemetry(of: "Meter B").contains { $0.values["bad"] != nil })
        #expect(rig.file("modbus_2.json")?.contains("\"level2\"") == true, "the refused configuration was written")
        #expect(!rig.ui.isSynced("Modbus 2"), "a refused configuration was echoed as if applied")
        #expect(rig.gpioRequests == 1)

        // The same refused configuration again (as in the answer after each reconnect): not counted
        // or logged again. The unchanged one after it is only echoed, which shows both were handled.
        let echoes = rig.ui.clientAttributeMessages.filter { $0["Modbus 2"] != nil }.count
        try await rig.ui.write(["Modbus 2": bad])
        try await rig.ui.write(["Modbus 2": changed])
        #expect(await eventually(within: 10) { rig.ui.clientAttributeMessages.filter { $0["Modbus 2"] != nil }.count == echoes + 1 })
        #expect(rig.harness.gateway.statistics.errors.totals.perConnector["Modbus 2"] == errorsBefore + 1)
        #expect(rig.harness.logs.messages(atLeast: .error, connector: "Modbus 2").count == 1)
        // The gateway's own echoes come back on a plain broker: they must not be echoed again.
        try await Task.sleep(for: .milliseconds(500))
        #expect(rig.ui.clientAttributeMessages.filter { $0["Modbus 2"] != nil }.count == echoes + 1, "the gateway echoes its own echoes")
        await rig.stop()
    }

    @Test("the GPIO connector changed from the UI releases its lines and requests them again; the Modbus connector keeps polling")
    func gpioChanged() async throws {
        let rig = try await Rig()
        #expect(await rig.harness.waitUntilConnected())
        #expect(await eventually(within: 10) { rig.ui.clientAttribute("GPIO") != nil && rig.platform.telemetry(of: "Meter A").count >= 1 })
        #expect(rig.gpioRequests == 1)
        let modbus = try #require(rig.harness.gateway.connector(named: "Modbus"))
        var gpio = try #require(rig.ui.clientAttribute("GPIO") as? [String: Any])
        var configuration = try #require(gpio["configurationJson"] as? [String: Any])
        var devices = try #require(configuration["devices"] as? [[String: Any]])
        var lines = try #require(devices[0]["lines"] as? [[String: Any]])
        lines.append(["pin": 6, "key": "fan", "direction": "output", "initial": 1])
        devices[0]["lines"] = lines
        configuration["devices"] = devices
        gpio["configurationJson"] = configuration
        gpio["ts"] = 1_735_000_000_000
        try await rig.ui.write(["GPIO": gpio])
        #expect(await eventually(within: 10) { GPIOMockLines.outputLevel(chip: rig.chip.name, offset: 6) == true }, "the new line was not requested")
        #expect(rig.gpioRequests == 2, "the changed GPIO connector did not release and request its lines again")
        #expect(GPIOMockLines.isRequested(chip: rig.chip.name, offset: 5))
        #expect(await eventually(within: 10) { rig.ui.isSynced("GPIO") })
        #expect(rig.file("gpio.json")?.contains("\"fan\"") == true)
        #expect(rig.file("gpio.json.bak")?.contains("fan") == false)
        #expect(rig.harness.gateway.connector(named: "Modbus") === modbus, "the Modbus connector was restarted")
        let count = rig.platform.telemetry(of: "Meter A").count
        #expect(await eventually(within: 10) { rig.platform.telemetry(of: "Meter A").count > count + 2 })
        await rig.stop()
    }

    @Test("a new connector whose file name is another connector's gets a file of its own")
    func fileNameTaken() async throws {
        let rig = try await Rig()
        #expect(await rig.harness.waitUntilConnected())
        let original = try #require(rig.file("modbus.json"))
        var object = Self.connector("modbus", ts: 1_735_000_000_000, slaves: [Self.slave("Meter C", port: rig.serverB.port!, tag: "c", address: 0)])
        object["configuration"] = "modbus.json"
        object["enableRemoteLogging"] = true
        let switches = Mutex<[String]>([])
        rig.harness.gateway.remoteConfiguration?.onConnectorRemoteLogging { name, enabled in switches.withLock { $0.append("\(name)=\(enabled)") } }
        try await rig.ui.write(["modbus": object])
        #expect(await eventually(within: 10) { rig.ui.isSynced("modbus") })
        #expect(rig.file("modbus.json") == original, "another connector's file was overwritten")
        #expect(rig.file("modbus_2.json")?.contains("Meter C") == true)
        #expect((rig.ui.clientAttribute("modbus") as? [String: Any])?["configuration"] as? String == "modbus_2.json")
        #expect(switches.withLock { $0 } == ["modbus=true"], "remote logging was not told the connector's enableRemoteLogging")
        try await rig.ui.delete(["modbus"])
        #expect(await eventually(within: 10) { switches.withLock { $0 } == ["modbus=true", "modbus=false"] })
        await rig.stop()
    }

    @Test("a new connector whose device another connector already has is refused, as check refuses it")
    func deviceNameClash() async throws {
        let rig = try await Rig()
        #expect(await rig.harness.waitUntilConnected())
        let clash = Self.connector("Modbus 3", ts: 1_735_000_000_000, slaves: [Self.slave("Meter A", port: rig.serverB.port!, tag: "x", address: 0)])
        try await rig.ui.write(["Modbus 3": clash])
        #expect(await eventually(within: 10) { !rig.harness.logs.messages(atLeast: .error, connector: "Modbus 3").isEmpty })
        let line = try #require(rig.harness.logs.messages(atLeast: .error, connector: "Modbus 3").first)
        #expect(line.contains("'Meter A' is already used by connector 'Modbus'"), "\(line)")
        #expect(rig.harness.gateway.connector(named: "Modbus 3") == nil)
        #expect(rig.configConnectorNames() == ["GPIO", "Modbus"])
        #expect(rig.file("modbus_3.json") == nil)
        #expect(rig.harness.gateway.statistics.errors.totals.perConnector["Modbus 3"] == 1)
        await rig.stop()
    }

    @Test("a connector deleted in the UI stops, its devices are disconnected and it leaves config.json; its file stays")
    func deleted() async throws {
        let rig = try await Rig()
        #expect(await rig.harness.waitUntilConnected())
        #expect(await eventually(within: 10) { rig.platform.telemetry(of: "Meter A").count >= 1 })
        try await rig.ui.delete(["Modbus"])
        #expect(await eventually(within: 10) { rig.harness.gateway.connector(named: "Modbus") == nil })
        #expect(await rig.platform.waitFor("v1/gateway/disconnect") { $0["device"] as? String == "Meter A" } != nil)
        #expect(await eventually(within: 10) { rig.configConnectorNames() == ["GPIO"] })
        #expect(rig.file("modbus.json") != nil)
        #expect(rig.harness.gateway.connector(named: "GPIO") != nil && rig.gpioRequests == 1)
        let count = rig.platform.telemetry(of: "Meter A").count
        try await Task.sleep(for: .milliseconds(500))
        #expect(rig.platform.telemetry(of: "Meter A").count <= count + 1, "the removed connector still polls")
        await rig.stop()
    }
}
}
