import CGPIODMock
import Foundation
import IronbridgeGPIO
import Testing

extension LibgpiodBackendTests {
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
