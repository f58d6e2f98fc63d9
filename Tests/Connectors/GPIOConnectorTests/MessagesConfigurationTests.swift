import Foundation
import GPIOConnector
import IronbridgeCore
import IronbridgeTestSupport
import Logging
import Testing

/// `messages` on GPIO lines: what is accepted, what is refused with which file and JSON path,
/// what `ironbridge check` prints, and the loop guard across devices.
@Suite("Device-to-device message configuration")
struct MessagesConfigurationTests {
    @Test func misplacedOrBrokenEntriesAreErrorsWithTheirJSONPath() {
        let (configuration, diagnostics) = readConfiguration("""
        {"devices": [{"deviceName": "A", "chip": "gpiochip0", "lines": [
          {"pin": 1, "key": "out", "direction": "output", "messages": [{"target": "B"}]},
          {"pin": 2, "key": "count", "pulseCounter": {}, "messages": [{"target": "B"}]},
          {"pin": 3, "key": "in", "messages": [{"when": "above", "value": 3, "target": "B"}, {"edge": "up", "target": "B"}, {"edge": "rising"},
                                               {"target": "A"}, {"target": "B", "minIntervalMs": -1, "params": {"x": "${nope}"}}, 5]}]}]}
        """)
        #expect(configuration == nil)
        let lines = diagnostics.all.map(\.description)
        let expected = [
            "error: gpio.json: $.devices[0].lines[0].messages: messages are sent on the edges of inputs; an output cannot send them",
            "error: gpio.json: $.devices[0].lines[1].messages: a pulse counter reports counts, not edges; messages need an input without \"pulseCounter\"",
            "error: gpio.json: $.devices[0].lines[2].messages[0].when: a GPIO input's message is triggered by \"edge\" (rising, falling or both), not \"when\"",
            "error: gpio.json: $.devices[0].lines[2].messages[1].edge: 'up' is not one of: rising, falling, both",
            "error: gpio.json: $.devices[0].lines[2].messages[2].target: is required (a string)",
            "error: gpio.json: $.devices[0].lines[2].messages[3].target: a device cannot send a message to itself ('A')",
            "error: gpio.json: $.devices[0].lines[2].messages[4].minIntervalMs: -1 is out of range: expected 0 to 86400000",
            "warning: gpio.json: $.devices[0].lines[2].messages[4].params: '${nope}' is not a placeholder and is sent as written (placeholders: ${deviceName}, ${key}, ${value}, ${ts})",
        ]
        for line in expected { #expect(lines.contains(line), "missing: \(line)\nall: \(lines.joined(separator: "\n"))") }
        #expect(lines.contains { $0.hasPrefix("error: gpio.json: $.devices[0].lines[2].messages[5]: expected an object") }, "\(lines)")
    }

    @Test func aValidEntryHasItsDefaults() throws {
        let (configuration, diagnostics) = readConfiguration(#"""
        {"devices": [{"deviceName": "A", "chip": "gpiochip0", "lines": [{"pin": 3, "key": "in", "messages": [{"target": "B"}]}]}]}
        """#)
        #expect(diagnostics.all.isEmpty, "\(diagnostics.all)")
        let rule = try #require(configuration?.devices.first?.lines.first?.messages.first)
        #expect(rule == MessageRule(device: "A", key: "in", trigger: .edge(.both), target: "B", file: "gpio.json", path: "$.devices[0].lines[0].messages[0]"))
        #expect(rule.method == "sendMsg" && rule.minIntervalMs == 1_000 && rule.expiryMs == 300_000 && rule.timeoutMs == 10_000)
        #expect(rule.params == ["deviceName": "${deviceName}", "key": "${key}", "value": "${value}", "ts": "${ts}"])
    }

    /// Writes config.json and gpio.json into a fresh folder and loads them as `run` and `check` do.
    static func load(_ gpio: String) throws -> GatewaySetup {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-msgcfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try #"""
        {"thingsboard": {"host": "127.0.0.1", "port": 1883, "security": {"type": "accessToken", "accessToken": "t"}},
         "storage": {"type": "memory"}, "connectors": [{"type": "gpio", "name": "GPIO", "configuration": "gpio.json"}]}
        """#.write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try gpio.write(to: folder.appendingPathComponent("gpio.json"), atomically: true, encoding: .utf8)
        return try GatewaySetup.load(configFile: folder.appendingPathComponent("config.json"), factories: [GPIOConnectorFactory()],
                                     environment: [:], logger: Logger(label: "test"))
    }

    @Test func checkListsTheMessagesOfEachDevice() throws {
        let setup = try Self.load(MessagesTests.panel("gpiochip0", messages: #"[{"edge": "rising", "target": "Siren Box", "method": "setGpio", "params": {"pin": 23, "value": 1}, "minIntervalMs": 0}]"#)
            .replacingOccurrences(of: #""chip": "gpiochip0""#, with: #""chip": "gpiochip0", "backend": "simulated""#))
        let report = setup.report
        #expect(report.contains(#"    message on door rising edge: setGpio -> 'Siren Box' (params {"pin":23,"value":1}; at most one per 0 ms, expires after 300000 ms, answer within 10000 ms)"#), "\(report)")
    }

    @Test func aLocalTargetThatSendsMessagesItselfIsRefused() throws {
        let json = #"""
        {"devices": [
          {"deviceName": "Door Panel", "chip": "gpiochip0", "backend": "simulated",
           "lines": [{"pin": 17, "key": "door", "messages": [{"target": "Siren Box", "method": "setGpio", "params": {"pin": 23, "value": 1}}]}]},
          {"deviceName": "Siren Box", "chip": "gpiochip0", "backend": "simulated",
           "lines": [{"pin": 23, "key": "siren", "direction": "output"}, {"pin": 24, "key": "tamper", "messages": [{"target": "Door Panel"}]}]}]}
        """#
        #expect {
            _ = try Self.load(json)
        } throws: { error in
            let text = "\(error)"
            return text.contains("gpio.json: $.devices[0].lines[0].messages[0].target: 'Siren Box' is a device of this gateway that sends messages itself; it cannot receive one (a message must never cause another)")
                && text.contains("$.devices[1].lines[1].messages[0].target: 'Door Panel' is a device of this gateway that sends messages itself")
        }
    }
}
