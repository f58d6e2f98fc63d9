@testable import GPIOConnector
import Foundation
import Testing

@Suite("Debounce and event timestamps")
struct DebounceAndClockTests {
    @Test func withoutDebounceEveryEdgeIsReportedWithItsTimestamp() {
        var debouncer = Debouncer(periodMs: 0, tracksLevel: true, reported: false)
        #expect(debouncer.edge(level: true, eventTimestamp: 10, now: 100) == .init(level: true, eventTimestamp: 10))
        #expect(debouncer.edge(level: false, eventTimestamp: 11, now: 101) == .init(level: false, eventTimestamp: 11))
        #expect(debouncer.deadline == nil)
    }

    @Test func chatterSettlesIntoOneReportStampedAtItsFirstEdge() {
        let ms: UInt64 = 1_000_000
        var debouncer = Debouncer(periodMs: 5, tracksLevel: true, reported: false)
        for (index, level) in [true, false, true, false, true].enumerated() {
            #expect(debouncer.edge(level: level, eventTimestamp: 1_000 + UInt64(index), now: UInt64(index) * ms) == nil)
        }
        #expect(debouncer.deadline == 9 * ms)
        #expect(debouncer.settle(now: 8 * ms) == nil, "settled before the line was quiet for 5 ms")
        #expect(debouncer.settle(now: 9 * ms) == .init(level: true, eventTimestamp: 1_000))
        #expect(debouncer.settle(now: 20 * ms) == nil)
        #expect(debouncer.reported == true)
    }

    @Test func aGlitchThatEndsWhereItStartedReportsNothing() {
        var debouncer = Debouncer(periodMs: 5, tracksLevel: true, reported: false)
        _ = debouncer.edge(level: true, eventTimestamp: 1, now: 0)
        _ = debouncer.edge(level: false, eventTimestamp: 2, now: 1)
        #expect(debouncer.settle(now: 100_000_000) == nil)
        // A rising-only line cannot track the level: each burst is reported.
        var rising = Debouncer(periodMs: 5, tracksLevel: false, reported: true)
        _ = rising.edge(level: true, eventTimestamp: 3, now: 0)
        #expect(rising.settle(now: 100_000_000) == .init(level: true, eventTimestamp: 3))
    }

    @Test func monotonicStampsBecomeUnixMilliseconds() {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let monotonic = UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
        let unixNow = Int64(Date().timeIntervalSince1970 * 1000)
        let twoSecondsAgo = EdgeTimestamp.unixMilliseconds(fromEventNanoseconds: monotonic - 2_000_000_000)
        #expect(abs(twoSecondsAgo - (unixNow - 2_000)) < 200, "\(twoSecondsAgo) vs \(unixNow - 2_000)")
        // A CLOCK_REALTIME stamp (kernels before 5.7) passes through.
        let realtime = UInt64(unixNow - 1_500) * 1_000_000
        #expect(EdgeTimestamp.unixMilliseconds(fromEventNanoseconds: realtime) == unixNow - 1_500)
    }
}
