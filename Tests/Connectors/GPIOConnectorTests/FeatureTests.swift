import CGPIODMock
import Foundation
@testable import GPIOConnector
import IronbridgeCore
import IronbridgeGPIO
import IronbridgeTestSupport
import Logging
import Testing

extension ConnectorOnLibgpiod {
    /// What people who wire relays, buttons and meters to a Pi expect, on a mocked chip.
    @Suite("GPIO features: momentary outputs, pulse counting, bias, active-low, restore", .enabled(if: isMockedLibgpiod),
           .timeLimit(.minutes(1)))
    struct FeatureTests {
        @Test func momentarySetGpioReturnsTheLineAfterItsDuration() async throws {
            let chip = ConnectorMockChip()
            let gateway = try RunningConnector(MockedChipTests.panel(chip.name))
            #expect(await eventually(within: 5) { chip.outputLevel(23) == false })
            let reply = await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 1, "durationMs": 300])
            #expect(reply == ["pin": 23, "value": 1, "durationMs": 300])
            #expect(chip.outputLevel(23) == true)
            #expect(await eventually(within: 5) { chip.outputLevel(23) == false }, "the line did not return")
            #expect(await eventually(within: 5) { await gateway.telemetry("Pump Panel", "pump").map(\.value) == [0, 1, 0] })
            let bad = await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 1, "durationMs": -5])
            #expect(bad.errorText?.contains("\"durationMs\" must be a whole number of milliseconds") == true, "\(bad)")
            await gateway.stop()
        }

        @Test func aNewCommandForThePinReplacesAPendingReturn() async throws {
            let chip = ConnectorMockChip()
            let gateway = try RunningConnector(MockedChipTests.panel(chip.name))
            #expect(await eventually(within: 5) { chip.outputLevel(23) == false })
            // A long pulse, then a short one: the short one's return (to the resting 0) wins.
            _ = await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 1, "durationMs": 30_000])
            _ = await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 1, "durationMs": 200])
            #expect(await eventually(within: 10) { chip.outputLevel(23) == false }, "the first command's return was not replaced")
            // A plain command cancels a pending return.
            _ = await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 1, "durationMs": 200])
            _ = await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 1])
            try await Task.sleep(for: .milliseconds(700))
            #expect(chip.outputLevel(23) == true, "a plain setGpio did not cancel the pending return")
            await gateway.stop()
        }

        static func meter(_ chip: String, minPulseWidthMs: Int = 20) -> String {
            """
            {"devices": [{"deviceName": "Meter", "chip": "\(chip)",
                          "lines": [{"pin": 5, "key": "energy", "bias": "pull-down",
                                     "pulseCounter": {"minPulseWidthMs": \(minPulseWidthMs), "reportPeriodMs": 200, "rateKey": "power"}}]}]}
            """
        }

        @Test func pulsesOfAtLeastTheMinimumWidthAreCountedAndTheCountSurvivesARestart() async throws {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-pulses-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let chip = ConnectorMockChip()
            var gateway = try RunningConnector(Self.meter(chip.name), dataFolder: folder)
            #expect(await eventually(within: 5) { await !gateway.telemetry("Meter", "energy").isEmpty })
            let start = monotonicNow()
            let ms: UInt64 = 1_000_000
            for (rise, fall) in [(0, 30), (40, 45), (60, 100)] as [(UInt64, UInt64)] {  // 30 ms, 5 ms (bounce), 40 ms
                chip.drive(5, true, timestamp: start + rise * ms)
                chip.drive(5, false, timestamp: start + fall * ms)
            }
            let counted = await eventually(within: 5) { await gateway.telemetry("Meter", "energy").last?.value == 2 }
            let reports = await gateway.telemetry("Meter", "energy").map(\.value)
            #expect(counted, "\(reports)")
            #expect(await eventually(within: 5) {
                await gateway.uploads.contains { upload in
                    if case .telemetry(let record) = upload { return record.values.contains { $0.key == "power" } }
                    return false
                }
            }, "no rate was reported")
            await gateway.stop()
            let saved = try String(contentsOf: folder.appendingPathComponent("gpio-pulse-counts-gpio.json"), encoding: .utf8)
            #expect(try JSONValue.parse(saved) == ["Meter/energy": 2])

            // A restart carries on from the saved count.
            gateway = try RunningConnector(Self.meter(chip.name), dataFolder: folder)
            #expect(await eventually(within: 5) { await gateway.telemetry("Meter", "energy").first?.value == 2 })
            chip.drive(5, true)
            try await Task.sleep(for: .milliseconds(50))
            chip.drive(5, false)
            #expect(await eventually(within: 5) { await gateway.telemetry("Meter", "energy").last?.value == 3 })
            await gateway.stop()
        }

        @Test func biasActiveLowAndDriveReachTheLinesAndLevelsAreLogical() async throws {
            let chip = ConnectorMockChip()
            let gateway = try RunningConnector("""
                {"devices": [{"deviceName": "Panel", "chip": "\(chip.name)",
                              "lines": [{"pin": 6, "key": "button", "bias": "pull-up", "activeLow": true},
                                        {"pin": 8, "key": "sensor", "bias": "pull-down"},
                                        {"pin": 9, "key": "raw", "bias": "disabled"},
                                        {"pin": 7, "key": "relay", "direction": "output", "activeLow": true, "initial": 1, "drive": "open-drain"},
                                        {"pin": 10, "key": "led", "direction": "output", "drive": "open-source"}]}]}
                """)
            #expect(await eventually(within: 5) { chip.outputLevel(7) != nil && chip.outputLevel(10) != nil })
            #expect(chip.flags(6) == Int32(GPIOD_MOCK_FLAG_BIAS_PULL_UP | GPIOD_MOCK_FLAG_ACTIVE_LOW))
            #expect(chip.flags(8) == Int32(GPIOD_MOCK_FLAG_BIAS_PULL_DOWN))
            #expect(chip.flags(9) == Int32(GPIOD_MOCK_FLAG_BIAS_DISABLE))
            #expect(chip.flags(7) == Int32(GPIOD_MOCK_FLAG_ACTIVE_LOW | GPIOD_MOCK_FLAG_OPEN_DRAIN))
            #expect(chip.flags(10) == Int32(GPIOD_MOCK_FLAG_OPEN_SOURCE))
            // The pulled-up button idles high: logically released (0). Pressed pulls it low: 1.
            #expect(await eventually(within: 5) { await gateway.telemetry("Panel", "button").map(\.value) == [0] })
            chip.drive(6, false)
            #expect(await eventually(within: 5) { await gateway.telemetry("Panel", "button").map(\.value) == [0, 1] })
            // The active-low relay: logical 1 drives the pin low.
            #expect(chip.outputLevel(7) == false)
            #expect(await gateway.rpc("Panel", "setGpio", ["pin": 7, "value": 0]) == ["pin": 7, "value": 0])
            #expect(chip.outputLevel(7) == true)
            await gateway.stop()
        }

        @Test func aMissingChipIsReportedWithTheChipsThatExist() throws {
            let present = ConnectorMockChip(lineCount: 8)
            let diagnostics = ConfigDiagnostics()
            let node = ConfigNode(
                value: try JSONValue.parse("{\"devices\": [{\"deviceName\": \"Relays\", \"chip\": \"gpiochip98765\", \"lines\": [{\"pin\": 1}]}]}"),
                file: "gpio.json", diagnostics: diagnostics)
            let configuration = try #require(GPIOConnectorConfiguration.read(node))
            GPIOConnectorFactory(libgpiod: mockedLibgpiodBackend).checkChips(configuration, node)
            let warning = try #require(diagnostics.all.first { $0.severity == .warning })
            let text = warning.description
            #expect(text.contains("gpio.json") && text.contains("devices[0].chip"), "\(text)")
            #expect(text.contains("device 'Relays': opening chip gpiochip98765 failed"), "\(text)")
            #expect(text.contains("chips present: ") && text.contains("\(present.name) [ironbridge-connector-mock] (8 lines)"), "\(text)")
        }
    }

    /// What `ironbridge check` prints (`GatewaySetup.report`) for a chip that does not exist.
    @Suite("ironbridge check on GPIO chips", .enabled(if: isMockedLibgpiod))
    struct CheckTests {
        @Test func checkNamesTheChipsThatExistWhenTheConfiguredOneDoesNot() throws {
            let present = ConnectorMockChip(lineCount: 54)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-check-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try """
                {"thingsboard": {"host": "127.0.0.1", "port": 1883, "security": {"type": "accessToken", "accessToken": "t"}},
                 "connectors": [{"type": "gpio", "name": "GPIO", "configuration": "gpio.json"}]}
                """.write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
            try FeatureTests.meter("gpiochip4").write(to: folder.appendingPathComponent("gpio.json"), atomically: true, encoding: .utf8)
            let setup = try GatewaySetup.load(
                configFile: folder.appendingPathComponent("config.json"),
                factories: [GPIOConnectorFactory(libgpiod: mockedLibgpiodBackend)], environment: [:],
                logger: Logger(label: "check"))
            let report = setup.report
            #expect(report.contains("$.devices[0].chip: device 'Meter': opening chip gpiochip4 failed"), "\(report)")
            #expect(report.contains("chips present: ") && report.contains("\(present.name) [ironbridge-connector-mock] (54 lines)"),
                    "\(report)")
            #expect(report.contains("telemetry: energy, power"), "\(report)")
            #expect(report.contains("pulse counter (count 'energy', rate 'power' every 200 ms, pulses of at least 20 ms)"), "\(report)")
        }
    }

    /// Restoring outputs from the platform's shared attributes, through a real broker.
    @Suite("GPIO outputs restored from shared attributes", .enabled(if: MosquittoBroker.isAvailable && isMockedLibgpiod),
           .timeLimit(.minutes(1)))
    struct RestoreTests {
        @Test func anOutputStartsFromItsSharedAttributeWithoutAGlitch() async throws {
            let chip = ConnectorMockChip()
            let broker = try MosquittoBroker()
            let platform = try await PlatformStandIn(
                brokerPort: broker.port, options: .init(sharedAttributes: ["Pump Panel": ["pump": "1", "valve": "\"banana\""]]))
            let json = """
                {"devices": [{"deviceName": "Pump Panel", "chip": "\(chip.name)", "restoreTimeoutMs": 5000,
                              "lines": [{"pin": 23, "key": "pump", "direction": "output", "initial": 0, "restore": true},
                                        {"pin": 24, "key": "valve", "direction": "output", "initial": 1, "restore": true},
                                        {"pin": 25, "key": "fan", "direction": "output", "initial": 0}]}]}
                """
            let harness = try GatewayHarness(
                brokerPort: broker.port, connectors: [(type: "gpio", name: "GPIO", file: "gpio.json", json: json)],
                factories: [GPIOConnectorFactory()])
            #expect(await harness.waitUntilConnected())
            #expect(await eventually(within: 10) { chip.outputLevel(23) == true }, "pump was not restored to 1")
            #expect(await eventually(within: 10) { chip.outputLevel(24) == true }, "valve: a bad attribute must leave initial")
            #expect(chip.outputLevel(25) == false)
            #expect(await eventually(within: 10) {
                platform.telemetry(of: "Pump Panel").contains { ($0.values["pump"] as? Int) == 1 }
            })
            let pumpReports = platform.telemetry(of: "Pump Panel").compactMap { $0.values["pump"] as? Int }
            #expect(!pumpReports.contains(0), "the line was driven to initial before the restore: \(pumpReports)")
            await harness.stop()
            await platform.stop()
        }
    }
}
