import IronbridgeGPIO
import Testing

/// Runs only when IRONBRIDGE_GPIO_TEST_CHIP names a real chip (a Raspberry Pi, or a
/// gpio-sim chip), with IRONBRIDGE_GPIO_TEST_OUT and IRONBRIDGE_GPIO_TEST_IN (default 17
/// and 27) wired together by a jumper. The mock then forwards to the real libgpiod.
extension LibgpiodBackendTests {
    @Suite("Real chip with a jumper (IRONBRIDGE_GPIO_TEST_CHIP)", .enabled(if: GPIOTestEnvironment.isRealChip))
    struct RealChipTests {
        let backend = GPIOTestEnvironment.backend
        let chip: any GPIOChipProtocol
        let out = GPIOTestEnvironment.outOffset
        let `in` = GPIOTestEnvironment.inOffset

        init() throws {
            chip = try backend.openChip(GPIOChipIdentifier(parsing: GPIOTestEnvironment.realChip ?? "gpiochip0"))
        }

        @Test func reopensByNamePathAndLabel() throws {
            #expect(try backend.openChip(.name(chip.name)).label == chip.label)
            #expect(try backend.openChip(.path(chip.path)).name == chip.name)
            #expect(try backend.openChip(.label(chip.label)).name == chip.name)
            #expect(chip.lineCount > Int(max(out, `in`)))
        }

        @Test func outputDrivesTheJumperedInput() throws {
            let output = try chip.requestLine(offset: out, .output(initialValue: false))
            let input = try chip.requestLine(offset: `in`, .input())
            for value in [true, false, true] {
                try output.setValue(value)
                #expect(try input.value() == value)
            }
        }

        @Test func edgeThroughTheJumperArrivesWithATimestamp() throws {
            let output = try chip.requestLine(offset: out, .output(initialValue: false))
            let input = try chip.requestLine(offset: `in`, .input(edge: .rising))
            try output.setValue(true)
            let events = try input.nextEdgeEvents(timeout: .seconds(2))
            #expect(events.first?.type == .rising)
            #expect(events.first?.timestampNanoseconds ?? 0 > 0)
        }

        @Test func secondRequestIsBusyAndReleaseFreesTheLine() throws {
            var line: (any GPIOLineProtocol)? = try chip.requestLine(offset: out, .output())
            let other = try backend.openChip(.name(chip.name))
            let error = #expect(throws: GPIOError.self) { try other.requestLine(offset: out, .input()) }
            #expect(error?.kind == .busy)
            #expect(try chip.lineInfo(offset: out).consumer == "ironbridge")
            line = nil
            _ = line
            #expect(try chip.lineInfo(offset: out).isUsed == false)
        }
    }
}
