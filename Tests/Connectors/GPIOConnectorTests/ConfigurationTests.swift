@testable import GPIOConnector
import IronbridgeCore
import IronbridgeGPIO
import Testing

@Suite("connectors/gpio.json is read with file and JSON path in every problem")
struct ConfigurationTests {
    static let issueExample = """
    {"devices": [{"deviceName": "Pump Panel", "deviceType": "gpio", "chip": "gpiochip0", "backend": "libgpiod",
                  "lines": [{"pin": 23, "key": "pump", "direction": "output", "initial": 0},
                            {"pin": 17, "key": "door", "direction": "input", "edge": "both", "bias": "pull-up", "activeLow": false, "debounceMs": 5}]}]}
    """

    @Test func theIssueExampleReadsWithItsMeaning() throws {
        let (configuration, diagnostics) = readConfiguration(Self.issueExample)
        #expect(diagnostics.all.isEmpty, "\(diagnostics.all)")
        let device = try #require(configuration?.devices.first)
        #expect(device.name == "Pump Panel")
        #expect(device.type == "gpio")
        #expect(device.chipIdentifier == .name("gpiochip0"))
        #expect(device.backend == .libgpiod)
        #expect(device.consumer == "ironbridge")
        #expect(device.reportPeriodMs == 0)
        #expect(device.retryPeriodMs == 5_000)
        #expect(device.lines.count == 2)
        let pump = device.lines[0], door = device.lines[1]
        #expect(pump.pin == 23 && pump.key == "pump")
        #expect(pump.direction == .output(initial: false, safeState: false, drive: .pushPull))
        #expect(door.direction == .input(edge: .both, debounceMs: 5, simulate: nil))
        #expect(door.bias == .pullUp && door.activeLow == false && door.reportAs == .telemetry)
        #expect(door.request == .input(edge: .both, bias: .pullUp, activeLow: false))
    }

    @Test func defaultsAndOptionalKeys() throws {
        let (configuration, diagnostics) = readConfiguration("""
        {"devices": [{"deviceName": "Sim", "backend": "SIMULATED", "reportPeriodMs": 1000,
                      "lines": [{"lineName": "GPIO5"},
                                {"pin": 6, "direction": "output", "initial": true, "safeState": "keep", "drive": "open-drain", "reportAs": "both"},
                                {"pin": 7, "edge": "rising", "simulate": {"togglePeriodMs": 300, "initial": 1}}]}]}
        """)
        #expect(diagnostics.all.isEmpty, "\(diagnostics.all)")
        let device = try #require(configuration?.devices.first)
        #expect(device.chip == "gpiochip0" && device.type == "gpio" && device.backend == .simulated)
        #expect(device.lines[0].key == "GPIO5" && device.lines[0].lineName == "GPIO5" && device.lines[0].pin == nil)
        #expect(device.lines[0].direction == .input(edge: .both, debounceMs: 0, simulate: nil))
        #expect(device.lines[1].key == "gpio6")
        #expect(device.lines[1].direction == .output(initial: true, safeState: nil, drive: .openDrain))
        #expect(device.lines[1].reportAs == .both)
        #expect(device.lines[2].direction == .input(
            edge: .rising, debounceMs: 0,
            simulate: .init(togglePeriodMs: 300, initialLevel: true)))
    }

    @Test func everyProblemIsReportedWithItsPath() {
        let (configuration, diagnostics) = readConfiguration("""
        {"devices": [{"deviceName": "A", "backend": "sysfs", "colour": "red",
                      "lines": [{"key": "nothing"},
                                {"pin": 4, "lineName": "GPIO4"},
                                {"pin": 5, "direction": "sideways"},
                                {"pin": 5, "direction": "output", "initial": 2},
                                {"pin": -1}]},
                     {"deviceName": "A", "lines": []}]}
        """)
        #expect(configuration == nil)
        let errors = Set(diagnostics.errors.map { "\($0.file) \($0.path)" })
        for path in ["$.devices[0].backend", "$.devices[0].lines[0]", "$.devices[0].lines[1].lineName",
                     "$.devices[0].lines[2].direction", "$.devices[0].lines[3].initial", "$.devices[0].lines[4].pin",
                     "$.devices[1].deviceName", "$.devices[1].lines"] {
            #expect(errors.contains("gpio.json \(path)"), "no error at \(path): \(diagnostics.errors)")
        }
        #expect(diagnostics.warnings.contains { $0.path == "$.devices[0].colour" })
        #expect(diagnostics.errors.contains { $0.message.contains("'sysfs' is not one of: libgpiod, simulated") })
    }

    @Test func duplicatePinsAndKeysAreRefused() {
        let (_, diagnostics) = readConfiguration("""
        {"devices": [{"deviceName": "A", "lines": [{"pin": 4, "key": "x"}, {"pin": 4, "key": "x"}]},
                     {"deviceName": "B", "lines": [{"pin": 4, "key": "y"}]}]}
        """)
        let messages = diagnostics.errors.map(\.description)
        #expect(messages.contains { $0.contains("$.devices[0].lines[1].pin: pin 4 is already configured") })
        #expect(messages.contains { $0.contains("$.devices[0].lines[1].key: the key 'x' is already used") })
        #expect(messages.contains { $0.contains("line 4 on gpiochip0 is already used by device 'A'") })
    }

    @Test func theFactoryReadsAFileAndRefusesABadOne() throws {
        let diagnostics = ConfigDiagnostics()
        let node = ConfigNode(value: try JSONValue.parse(Self.issueExample), file: "gpio.json", diagnostics: diagnostics)
        let factory = GPIOConnectorFactory()
        #expect(factory.type == "gpio")
        let parsed = try #require(GPIOConnectorConfiguration.read(node))
        let connector = GPIOConnector(name: "gpio", configuration: parsed, logger: .init(label: "test"))
        #expect(connector.devices == [DeviceInfo(name: "Pump Panel", type: "gpio")])
        let summary = try #require(connector.summary.devices.first)
        #expect(summary.telemetryKeys == ["pump", "door"])
        #expect(summary.rpcMethods == ["setGpio", "getGpio", "getGpioStatus", "setGpioStatus"])
        #expect(summary.details.contains("line 17 (door): input, both edges, debounce 5 ms, bias pull-up"))
    }
}
