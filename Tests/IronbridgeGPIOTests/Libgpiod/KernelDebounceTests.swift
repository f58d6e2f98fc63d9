import CGPIODMock
import Foundation
import IronbridgeGPIO
import Testing

extension LibgpiodBackendTests {
    @Suite("Kernel debounce and event clock (mocked chip)", .enabled(if: GPIOTestEnvironment.isMock))
    struct KernelDebounceTests {
        #if LIBGPIOD_V2
        @Test func debouncePeriodReachesTheKernelAndChatterSettlesIntoOneEdge() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 17, .input(edge: .both, debounceMicroseconds: 30_000))
            #expect(GPIOTestEnvironment.backend.supportsKernelDebounce)
            #expect(mock.debounceMicroseconds(17) == 30_000)
            for level in [true, false, true, false, true] { mock.drive(17, level) }
            #expect(mock.edgeCount(17) == 5)
            let events = try line.nextEdgeEvents(timeout: .seconds(5))
            #expect(events.map(\.type) == [.rising], "the kernel reports the settled level once")
            // A glitch that returns to the settled level reports nothing.
            mock.drive(17, false)
            mock.drive(17, true)
            #expect(try line.nextEdgeEvents(timeout: .milliseconds(300)).isEmpty)
        }

        @Test func monotonicEventClockIsRequestedForEdgeLines() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 4, .input(edge: .rising))
            #expect(mock.eventClock(4) == Int32(GPIOD_MOCK_CLOCK_MONOTONIC))
            let realtime = try mock.open().requestLine(offset: 5, .input(edge: .rising, eventClock: .realtime))
            #expect(mock.eventClock(5) == Int32(GPIOD_MOCK_CLOCK_REALTIME))
            withExtendedLifetime((line, realtime)) {}
        }
        #else
        @Test func kernelDebounceIsRefusedWithTheReason() throws {
            let mock = MockChip()
            #expect(!GPIOTestEnvironment.backend.supportsKernelDebounce)
            let error = #expect(throws: GPIOError.self) {
                try mock.open().requestLine(offset: 17, .input(edge: .both, debounceMicroseconds: 30_000))
            }
            #expect(error?.kind == .notSupported)
            #expect(error?.description.contains("libgpiod 1.x has no kernel debounce") == true)
            #expect(!mock.isRequested(17))
        }
        #endif
    }
}
