import CGPIODMock
import Foundation
import IronbridgeGPIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension LibgpiodBackendTests {
    @Suite("Edge events through the blocking wait (mocked chip)",
           .enabled(if: GPIOTestEnvironment.isMock))
    struct EdgeEventTests {
        @Test func risingEdgeWakesTheWaiterWithItsTimestamp() async throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 17, .input(edge: .both))
            let started = ContinuousClock.now
            async let woke = onDedicatedThread { try line.waitForEdgeEvents(timeout: .seconds(10)) }
            try await Task.sleep(for: .milliseconds(100))
            mock.drive(17, true, timestamp: 1_234_567_890_123)
            #expect(try await woke == true)
            let elapsed = ContinuousClock.now - started
            #expect(elapsed >= .milliseconds(90), "the wait returned before the edge happened")
            #expect(elapsed < .seconds(10), "the wait ran into its timeout instead of waking on the edge")
            let events = try line.readEdgeEvents(maxCount: 16)
            #expect(events == [GPIOEdgeEvent(type: .rising, timestampNanoseconds: 1_234_567_890_123, offset: 17)])
            #expect(try line.readEdgeEvents(maxCount: 16).isEmpty)
        }

        @Test func defaultTimestampIsMonotonicNow() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 17, .input(edge: .rising))
            let before = monotonicNanoseconds()
            mock.drive(17, true)
            let after = monotonicNanoseconds()
            let events = try line.nextEdgeEvents(timeout: .seconds(5))
            #expect(events.count == 1)
            let stamp = try #require(events.first).timestampNanoseconds
            #expect(stamp >= before && stamp <= after)
            #expect(mock.lastEventTimestamp(17) == stamp)
        }

        @Test func waitTimesOutWhenNothingHappens() async throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 17, .input(edge: .both))
            let started = ContinuousClock.now
            let woke = try await onDedicatedThread { try line.waitForEdgeEvents(timeout: .milliseconds(150)) }
            let elapsed = ContinuousClock.now - started
            #expect(woke == false)
            #expect(elapsed >= .milliseconds(140))
            #expect(elapsed < .seconds(30), "the wait did not honour its timeout")
        }

        @Test func onlyTheRequestedEdgeIsReported() throws {
            let mock = MockChip()
            let chip = try mock.open()
            let falling = try chip.requestLine(offset: 1, .input(edge: .falling))
            mock.drive(1, true)
            mock.drive(1, false)
            mock.drive(1, true)
            let events = try falling.nextEdgeEvents(timeout: .seconds(5))
            #expect(events.map(\.type) == [.falling])
        }

        @Test func bothEdgesArriveInOrder() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 2, .input(edge: .both))
            for (index, level) in [true, false, true].enumerated() {
                mock.drive(2, level, timestamp: UInt64(1_000 + index))
            }
            let events = try line.nextEdgeEvents(timeout: .seconds(5), maxCount: 2)
            let rest = try line.readEdgeEvents(maxCount: 8)
            #expect((events + rest).map(\.type) == [.rising, .falling, .rising])
            #expect((events + rest).map(\.timestampNanoseconds) == [1_000, 1_001, 1_002])
        }

        @Test func readEdgeEventReturnsOneAtATime() throws {
            let mock = MockChip()
            let chip = try mock.open()
            let handle = try chip.requestLine(offset: 2, .input(edge: .both))
            mock.drive(2, true, timestamp: 10)
            mock.drive(2, false, timestamp: 20)
            #expect(try handle.readEdgeEvents(maxCount: 1) == [GPIOEdgeEvent(type: .rising, timestampNanoseconds: 10, offset: 2)])
            #expect(try handle.readEdgeEvents(maxCount: 1) == [GPIOEdgeEvent(type: .falling, timestampNanoseconds: 20, offset: 2)])
            #expect(try handle.readEdgeEvents(maxCount: 1).isEmpty)
        }

        @Test func activeLowReportsLogicalEdges() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 3, .input(edge: .both, activeLow: true))
            mock.drive(3, true)  // physical rise = logical fall
            let events = try line.nextEdgeEvents(timeout: .seconds(5))
            #expect(events.map(\.type) == [.falling])
        }

        @Test func eventFileDescriptorPollsReadableWhenAnEventIsPending() throws {
            let mock = MockChip()
            let chip = try mock.open()
            let a = try chip.requestLine(offset: 4, .input(edge: .both))
            let b = try chip.requestLine(offset: 5, .input(edge: .both))
            let fdA = try #require(a.eventFileDescriptor)
            let fdB = try #require(b.eventFileDescriptor)
            mock.drive(5, true)
            var fds = [pollfd(fd: fdA, events: Int16(POLLIN), revents: 0), pollfd(fd: fdB, events: Int16(POLLIN), revents: 0)]
            #expect(poll(&fds, 2, 5_000) == 1)
            #expect(fds[0].revents == 0)
            #expect(fds[1].revents & Int16(POLLIN) != 0)
            #expect(try b.readEdgeEvents(maxCount: 4).count == 1)
            #expect(try chip.requestLine(offset: 6, .input()).eventFileDescriptor == nil)
        }

        @Test func waitingWithoutEdgeDetectionIsNotSupported() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 4, .input())
            let error = #expect(throws: GPIOError.self) { try line.waitForEdgeEvents(timeout: .milliseconds(10)) }
            #expect(error?.kind == .notSupported)
        }

        @Test func releaseDuringAWaitTakesEffectWhenTheWaitEnds() async throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 8, .input(edge: .both))
            async let woke = onDedicatedThread { try line.waitForEdgeEvents(timeout: .seconds(1)) }
            try await Task.sleep(for: .milliseconds(250))
            line.release()
            #expect(line.isReleased)
            #expect(mock.isRequested(8), "the line must stay held (its fd open) while the wait runs")
            #expect(try await woke == false)
            #expect(await eventually { !mock.isRequested(8) })
        }
    }
}
