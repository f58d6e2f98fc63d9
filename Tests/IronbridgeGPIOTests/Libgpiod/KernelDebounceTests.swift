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

    @Suite("Waiting for edges on several lines at once (mocked chip)", .enabled(if: GPIOTestEnvironment.isMock))
    struct EdgeWaitTests {
        @Test func anEdgeOnAnyLineEndsTheWaitWithThatLinesEvents() async throws {
            let mock = MockChip()
            let chip = try mock.open()
            let lines = try [4, 5, 6].map { try chip.requestLine(offset: UInt32($0), .input(edge: .both)) }
            let output = try chip.requestLine(offset: 7, .output())
            async let outcome = onDedicatedThread {
                try GPIOEdgeWait.wait(on: lines + [output], wake: nil, timeout: .seconds(10))
            }
            try await Task.sleep(for: .milliseconds(100))
            mock.drive(5, true, timestamp: 42)
            let result = try await outcome
            #expect(result.events == [GPIOEdgeEvent(type: .rising, timestampNanoseconds: 42, offset: 5)])
            #expect(!result.woken)
        }

        @Test func theWakeSignalCutsTheWaitShort() async throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 4, .input(edge: .both))
            let wake = try GPIOWakeSignal()
            let started = ContinuousClock.now
            async let outcome = onDedicatedThread { try GPIOEdgeWait.wait(on: [line], wake: wake, timeout: .seconds(20)) }
            try await Task.sleep(for: .milliseconds(100))
            wake.signal()
            let result = try await outcome
            #expect(result.woken && result.events.isEmpty)
            #expect(ContinuousClock.now - started < .seconds(20), "the wait ran into its timeout")
            // A signal sent before the wait is not lost.
            wake.signal()
            #expect(try GPIOEdgeWait.wait(on: [line], wake: wake, timeout: .seconds(20)).woken)
        }

        @Test func aVanishedChipEndsTheWaitWithChipGone() async throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 9, .input(edge: .both))
            async let outcome = onDedicatedThread { () -> GPIOError? in
                do {
                    _ = try GPIOEdgeWait.wait(on: [line], wake: nil, timeout: .seconds(10))
                    return nil
                } catch let error as GPIOError {
                    return error
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            mock.disappear()
            #expect(try await outcome?.kind == .chipGone)
        }

        @Test func theWaitTimesOutWithNothing() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 4, .input(edge: .both))
            let result = try GPIOEdgeWait.wait(on: [line], wake: nil, timeout: .milliseconds(50))
            #expect(result.events.isEmpty && !result.woken)
        }
    }
}
