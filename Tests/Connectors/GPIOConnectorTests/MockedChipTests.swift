import Foundation
@testable import GPIOConnector
import IronbridgeCore
import IronbridgeGPIO
import IronbridgeTestSupport
import Testing

extension ConnectorOnLibgpiod {
    /// The connector against chips of the mocked libgpiod (the real libgpiod binding underneath).
    @Suite("GPIO connector on a mocked libgpiod chip", .enabled(if: isMockedLibgpiod), .timeLimit(.minutes(1)))
    struct MockedChipTests {
        static func panel(_ chip: String, debounceMs: Int = 0, extraLines: String = "", device: String = "") -> String {
            """
            {"devices": [{"deviceName": "Pump Panel", "chip": "\(chip)", "retryPeriodMs": 200\(device),
                          "lines": [{"pin": 23, "key": "pump", "direction": "output", "initial": 0, "safeState": 0},
                                    {"lineName": "GPIO24", "key": "valve", "direction": "output", "initial": 1, "safeState": "keep"},
                                    {"pin": 17, "key": "door", "direction": "input", "edge": "both", "bias": "pull-up", "debounceMs": \(debounceMs)}\(extraLines)]}]}
            """
        }

        @Test func setGpioDrivesTheLineAndRepliesWithTheLevelReadBack() async throws {
            let chip = ConnectorMockChip()
            let gateway = try RunningConnector(Self.panel(chip.name))
            #expect(await eventually(within: 5) { chip.outputLevel(23) == false && chip.outputLevel(24) != nil })
            #expect(chip.outputLevel(24) == true, "the initial value of 'valve' was not applied")

            let reply = await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 1])
            #expect(reply == ["pin": 23, "value": 1])
            #expect(chip.outputLevel(23) == true)
            // pin as a string, value as a boolean, params as a JSON string
            let off = await gateway.rpc("Pump Panel", "setGpio", .string("{\"pin\": \"23\", \"value\": false}"))
            #expect(off == ["pin": 23, "value": 0])
            #expect(chip.outputLevel(23) == false)
            // a line configured by name answers to its offset
            #expect(await gateway.rpc("Pump Panel", "setGpio", ["pin": "24", "value": 0]) == ["pin": 24, "value": 0])
            #expect(chip.outputLevel(24) == false)

            #expect(await gateway.rpc("Pump Panel", "getGpio", ["pin": 23]) == ["pin": 23, "value": 0])
            chip.drive(17, true)
            #expect(await gateway.rpc("Pump Panel", "getGpio", .string("{\"pin\":17}")) == ["pin": 17, "value": 1])

            // every change of an output is reported: initial 0, then 1, then 0
            let reported = await eventually(within: 5) { await gateway.telemetry("Pump Panel", "pump").map(\.value) == [0, 1, 0] }
            let pumpReports = await gateway.telemetry("Pump Panel", "pump").map(\.value)
            #expect(reported, "pump reports: \(pumpReports)")
            await gateway.stop()
        }

        @Test func aPinConfiguredByOffsetAnswersToTheChipsNameForIt() async throws {
            let chip = ConnectorMockChip()
            let gateway = try RunningConnector(Self.panel(chip.name))
            #expect(await eventually(within: 5) { chip.outputLevel(23) != nil })
            #expect(await gateway.rpc("Pump Panel", "setGpio", ["pin": "GPIO23", "value": 1]) == ["pin": 23, "value": 1])
            #expect(chip.outputLevel(23) == true)
            #expect(await gateway.rpc("Pump Panel", "getGpio", ["pin": "gpio23"]) == ["pin": 23, "value": 1])
            await gateway.stop()
        }

        @Test func platformTextInErrorRepliesIsClippedAndEscaped() async throws {
            let chip = ConnectorMockChip()
            let gateway = try RunningConnector(Self.panel(chip.name))
            let huge = "x\n" + String(repeating: "y", count: 50_000)
            for reply in [await gateway.rpc("Pump Panel", huge, ["pin": 23]),
                          await gateway.rpc("Pump Panel", "setGpio", ["pin": .string(huge), "value": 1]),
                          await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": .string(huge)])] {
                let text = reply.errorText ?? ""
                #expect(text.count < 600 && text.contains("more characters") && !text.contains("\n"), "\(text.prefix(200))")
            }
            await gateway.stop()
        }

        @Test func widgetMethodsAnswerWithTheFullPinMap() async throws {
            let chip = ConnectorMockChip()
            chip.drive(17, true)
            let gateway = try RunningConnector(Self.panel(chip.name))
            #expect(await eventually(within: 5) { chip.outputLevel(23) != nil && chip.outputLevel(24) != nil })
            #expect(await gateway.rpc("Pump Panel", "getGpioStatus", .string("{}")) == ["23": false, "24": true, "17": true])
            let after = await gateway.rpc("Pump Panel", "setGpioStatus", ["pin": 23, "enabled": true])
            #expect(after == ["23": true, "24": true, "17": true])
            #expect(chip.outputLevel(23) == true)
            await gateway.stop()
        }

        @Test func writesToInputsAndUnconfiguredPinsAreRefusedWithTheReason() async throws {
            let chip = ConnectorMockChip()
            let gateway = try RunningConnector(Self.panel(chip.name))
            #expect(await eventually(within: 5) { chip.outputLevel(23) != nil && chip.outputLevel(24) != nil })

            let input = await gateway.rpc("Pump Panel", "setGpio", ["pin": 17, "value": 1])
            #expect(input.errorText == "device 'Pump Panel': pin 17 (door) is an input; only outputs can be written (outputs: 23 pump, 24 valve)")
            #expect(chip.outputLevel(17) == nil, "the input was turned into an output")

            let unknown = await gateway.rpc("Pump Panel", "setGpio", ["pin": 5, "value": 1])
            #expect(unknown.errorText == "device 'Pump Panel': pin 5 is not configured (configured pins: 23 pump output, 24 valve output, 17 door input)")
            #expect(!chip.isRequested(5))
            #expect(await gateway.rpc("Pump Panel", "setGpioStatus", ["pin": 5, "enabled": true]).errorText?.contains("pin 5 is not configured") == true)
            #expect(await gateway.rpc("Pump Panel", "getGpio", ["pin": 6]).errorText?.contains("pin 6 is not configured") == true)

            let badValue = await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 7])
            #expect(badValue.errorText == "device 'Pump Panel': pin 23 (pump): \"value\" must be 0, 1, true or false, got 7")
            #expect(await gateway.rpc("Pump Panel", "setGpio", ["value": 1]).errorText?.contains("\"pin\" is missing") == true)
            #expect(await gateway.rpc("Pump Panel", "setGpio", ["pin": 23]).errorText?.contains("\"value\" is missing") == true)
            #expect(await gateway.rpc("Pump Panel", "blink", [:]).errorText?.contains("unknown method 'blink'") == true)
            #expect(chip.outputLevel(23) == false, "a refused write changed the line")
            await gateway.stop()
        }

        @Test func anEdgeIsReportedWithTheEventsTimestampInUnixMilliseconds() async throws {
            let chip = ConnectorMockChip()
            let gateway = try RunningConnector(Self.panel(chip.name))
            #expect(await eventually(within: 5) { await gateway.telemetry("Pump Panel", "door").count == 1 })
            let threeSecondsAgo = monotonicNow() - 3_000_000_000
            // The event's Unix time, taken with its monotonic time: it does not drift while the test waits.
            let expected = unixMillisecondsNow() - 3_000
            chip.drive(17, false)  // pull-up: it floated high, so this is a falling edge
            chip.drive(17, true, timestamp: threeSecondsAgo)
            #expect(await eventually(within: 5) { await gateway.telemetry("Pump Panel", "door").count == 3 })
            let reports = await gateway.telemetry("Pump Panel", "door")
            #expect(reports.map(\.value) == [1, 0, 1])
            let stamp = try #require(reports.last?.ts)
            #expect(abs(stamp - expected) < 1_000, "ts \(stamp) is not the event's time (about \(expected))")
            await gateway.stop()
        }

        @Test func debounceSuppressesChatter() async throws {
            let chip = ConnectorMockChip()
            let gateway = try RunningConnector(Self.panel(chip.name, debounceMs: 40))
            #expect(await eventually(within: 5) { await gateway.telemetry("Pump Panel", "door").count == 1 })
            let start = monotonicNow()
            for (index, level) in [false, true, false, true, false].enumerated() {
                chip.drive(17, level, timestamp: start + UInt64(index) * 100_000)
            }
            #expect(chip.eventCount(17) == 5)
            // libgpiod 2 debounces in the kernel; 1.x in the connector.
            #expect(chip.debounceMicroseconds(17) == (LibgpiodBackend.apiVersion >= 2 ? 40_000 : 0))
            #expect(await eventually(within: 5) { await gateway.telemetry("Pump Panel", "door").count >= 2 })
            try await Task.sleep(for: .milliseconds(150))
            let reports = await gateway.telemetry("Pump Panel", "door")
            #expect(reports.map(\.value) == [1, 0], "chatter was not debounced: \(reports.map(\.value))")
            // A glitch that returns to the same level reports nothing.
            chip.drive(17, true)
            chip.drive(17, false)
            try await Task.sleep(for: .milliseconds(200))
            #expect(await gateway.telemetry("Pump Panel", "door").count == 2)
            await gateway.stop()
        }

        @Test func aBusyLineGivesAClearErrorAndTheRestOfTheDeviceWorks() async throws {
            let chip = ConnectorMockChip()
            chip.setBusy(23, consumer: "other-daemon")
            let gateway = try RunningConnector(Self.panel(chip.name))
            #expect(await eventually(within: 5) { chip.outputLevel(24) != nil })
            let refused = await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 1])
            #expect(refused.errorText?.hasPrefix("device 'Pump Panel': pin 23 (pump): requesting line 23 (GPIO23) on \(chip.name) as output failed: Device or resource busy (errno 16) (held by 'other-daemon')") == true,
                    "\(refused)")
            #expect(gateway.logs.messages(atLeast: .error).contains { $0.contains("line 23 (pump)") && $0.contains("busy") })
            #expect(await eventually(within: 5) { gateway.errorCount >= 1 })
            #expect(await gateway.rpc("Pump Panel", "setGpio", ["pin": 24, "value": 0]) == ["pin": 24, "value": 0])

            // Once the other consumer lets go, the line is taken on the next retry.
            chip.setBusy(23, consumer: nil)
            #expect(await eventually(within: 5) { chip.outputLevel(23) != nil && chip.outputLevel(24) != nil })
            #expect(await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 1]) == ["pin": 23, "value": 1])
            await gateway.stop()
        }

        @Test func aChipThatDisappearsDisconnectsTheDeviceAndComesBack() async throws {
            let chip = ConnectorMockChip()
            let gateway = try RunningConnector(Self.panel(chip.name))
            #expect(await eventually(within: 5) { chip.outputLevel(23) != nil && chip.outputLevel(24) != nil })
            chip.disappear()

            #expect(await eventually(within: 5) { await gateway.uploads.contains(.disconnect(device: "Pump Panel")) })
            let logged = gateway.logs.messages(atLeast: .error)
            #expect(logged.contains { $0.contains("GPIO chip \(chip.name) failed") && $0.contains("23 (pump)") && $0.contains("No such device") }, "\(logged)")
            #expect(gateway.errorCount >= 1)
            let reply = await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 1])
            #expect(reply.errorText?.hasPrefix("device 'Pump Panel': pin 23 (pump): the chip \(chip.name) is not available") == true, "\(reply)")
            #expect(await gateway.rpc("Pump Panel", "getGpioStatus", [:]).errorText != nil)

            // The chip comes back (re-plugged): the connector opens it again and reconnects.
            chip.remove()
            chip.create()
            #expect(await eventually(within: 5) { chip.outputLevel(23) != nil && chip.outputLevel(24) != nil })
            #expect(await eventually(within: 5) {
                await gateway.uploads.filter { if case .connect = $0 { true } else { false } }.count == 2
            })
            #expect(await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 1]) == ["pin": 23, "value": 1])
            await gateway.stop()
        }

        @Test func aMissingChipIsRetriedUntilItAppears() async throws {
            let chip = ConnectorMockChip(absent: ())
            let gateway = try RunningConnector(Self.panel(chip.name))
            #expect(await eventually(within: 5) {
                gateway.logs.messages(atLeast: .error).contains { $0.contains("the chip \(chip.name) is not available") && $0.contains("'Pump Panel'") }
            })
            let reply = await gateway.rpc("Pump Panel", "getGpio", ["pin": 23])
            #expect(reply.errorText?.contains("the chip \(chip.name) is not available") == true, "\(reply)")
            chip.create()
            #expect(await eventually(within: 5) { chip.outputLevel(23) != nil && chip.outputLevel(24) != nil })
            #expect(await gateway.rpc("Pump Panel", "getGpio", ["pin": 23]) == ["pin": 23, "value": 0])
            await gateway.stop()
        }

        @Test func sharedAttributesDriveOutputsOnly() async throws {
            let chip = ConnectorMockChip()
            let gateway = try RunningConnector(Self.panel(chip.name))
            #expect(await eventually(within: 5) { chip.outputLevel(23) != nil && chip.outputLevel(24) != nil })
            await gateway.connector.handleAttributeUpdate(device: "Pump Panel", values: ["pump": true, "door": 1, "other": "x"])
            #expect(chip.outputLevel(23) == true)
            #expect(chip.outputLevel(17) == nil)
            #expect(gateway.logs.messages(atLeast: .warning).contains { $0.contains("'door' names the input 17 (door)") })
            await gateway.connector.handleAttributeUpdate(device: "Pump Panel", values: ["pump": "banana"])
            #expect(chip.outputLevel(23) == true)
            await gateway.stop()
        }

        @Test func shutdownDrivesOutputsToTheirSafeStateAndReleasesEveryLine() async throws {
            let chip = ConnectorMockChip()
            let gateway = try RunningConnector(Self.panel(chip.name, device: ", \"consumer\": \"pump-panel\""))
            #expect(await eventually(within: 5) { chip.outputLevel(23) != nil && chip.outputLevel(24) != nil })
            _ = await gateway.rpc("Pump Panel", "setGpio", ["pin": 23, "value": 1])
            _ = await gateway.rpc("Pump Panel", "setGpio", ["pin": 24, "value": 0])
            #expect(chip.isRequested(17))
            await gateway.stop()
            #expect(!chip.isRequested(23) && !chip.isRequested(24) && !chip.isRequested(17))
            // The safe state was driven and reported before the release; 'keep' was left alone.
            #expect(await gateway.telemetry("Pump Panel", "pump").map(\.value) == [0, 1, 0])
            #expect(await gateway.telemetry("Pump Panel", "valve").map(\.value) == [1, 0])
            #expect(gateway.logs.messages.contains { $0.contains("released 3 line(s) on GPIO chip \(chip.name)") })
        }
    }
}
