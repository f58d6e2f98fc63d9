import CGPIODMock
import Foundation
import IronbridgeGPIO
import Testing

extension LibgpiodBackendTests {
    @Suite("Errors name the chip, the line and errno (mocked chip)",
           .enabled(if: GPIOTestEnvironment.isMock))
    struct ErrorTests {
        @Test func lineHeldByAnotherConsumerIsBusy() throws {
            let mock = MockChip()
            mock.setBusy(17, consumer: "other-daemon")
            let chip = try mock.open()
            let error = #expect(throws: GPIOError.self) { try chip.requestLine(offset: 17, .input()) }
            #expect(error?.kind == .busy)
            #expect(error?.errno == EBUSY)
            #expect(error?.chip == mock.name)
            #expect(error?.line == GPIOLineReference(offset: 17, name: "GPIO17"))
            #expect(error?.description
                == "requesting line 17 (GPIO17) on \(mock.name) as input failed: Device or resource busy (errno 16)")
            #expect(try chip.lineInfo(offset: 17).consumer == "other-daemon")

            mock.setBusy(17, consumer: nil)
            _ = try chip.requestLine(offset: 17, .input())
        }

        @Test func secondRequestOfTheSameLineIsBusyAcrossHandles() throws {
            let mock = MockChip()
            let first = try mock.open()
            let second = try mock.open()
            let held = try first.requestLine(offset: 12, .output())
            let error = #expect(throws: GPIOError.self) { try second.requestLine(offset: 12, .input(edge: .rising)) }
            #expect(error?.kind == .busy)
            #expect(error?.description.contains("as input with rising-edge events") == true)
            let again = #expect(throws: GPIOError.self) { try first.requestLine(offset: 12, .output()) }
            #expect(again?.kind == .busy)
            held.release()
            _ = try second.requestLine(offset: 12, .input())
        }

        @Test func chipThatDisappearedFailsWithChipGone() throws {
            let mock = MockChip()
            let chip = try mock.open()
            let output = try chip.requestLine(offset: 5, .output())
            mock.disappear()

            let write = #expect(throws: GPIOError.self) { try output.setValue(true) }
            #expect(write?.kind == .chipGone)
            #expect(write?.errno == ENODEV)
            #expect(write?.description == "writing line 5 (GPIO5) on \(mock.name) failed: No such device (errno 19)")

            let request = #expect(throws: GPIOError.self) { try chip.requestLine(offset: 6, .input()) }
            #expect(request?.kind == .chipGone)
            #expect(request?.isChipUnavailable == true)

            let reopen = #expect(throws: GPIOError.self) { try GPIOTestEnvironment.backend.openChip(.name(mock.name)) }
            #expect(reopen?.kind == .chipNotFound)
            #expect(reopen?.isChipUnavailable == true)
        }

        @Test func disappearingChipWakesAWaiterWithChipGone() async throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 9, .input(edge: .both))
            let started = ContinuousClock.now
            async let outcome = onDedicatedThread { () -> GPIOError? in
                do {
                    _ = try line.waitForEdgeEvents(timeout: .seconds(10))
                    return nil
                } catch let error as GPIOError {
                    return error
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            mock.disappear()
            let error = try await outcome
            #expect(error?.kind == .chipGone)
            #expect(ContinuousClock.now - started < .seconds(10))
        }

        @Test func releasedLineRefusesFurtherUse() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 5, .output())
            line.release()
            line.release()  // idempotent
            let error = #expect(throws: GPIOError.self) { try line.setValue(true) }
            #expect(error?.kind == .released)
            #expect(error?.description.contains("line 5 (GPIO5)") == true)
            #expect(line.eventFileDescriptor == nil)
        }

        @Test func unnamedLineIsNamedByOffsetOnly() throws {
            let mock = MockChip()
            mock.setBusy(3, consumer: "x")
            let error = #expect(throws: GPIOError.self) { try mock.open().requestLine(offset: 3, .output()) }
            #expect(error?.description.hasPrefix("requesting line 3 on \(mock.name) as output failed") == true)
        }

        @Test func offsetOutOfRangeIsLineNotFound() throws {
            let mock = MockChip(lineCount: 8, lineNames: [])
            let error = #expect(throws: GPIOError.self) { try mock.open().requestLine(offset: 8, .input()) }
            #expect(error?.kind == .lineNotFound)
            #expect(error?.description.contains("the chip has 8 lines") == true)
        }
    }
}
