#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns an edge event's kernel timestamp into Unix milliseconds for telemetry `ts`.
///
/// libgpiod 1.x passes the kernel's stamp through: CLOCK_MONOTONIC on Linux 5.7 and later,
/// CLOCK_REALTIME before; libgpiod 2.x lines are requested with CLOCK_MONOTONIC (the simulated
/// chip and the test mock use CLOCK_MONOTONIC). A stamp
/// closer to the realtime clock than to the monotonic clock is taken as realtime; otherwise it
/// is shifted by the current offset between the two clocks (realtime now - monotonic now).
enum EdgeTimestamp {
    static func unixMilliseconds(fromEventNanoseconds stamp: UInt64) -> Int64 {
        let (realtime, monotonic) = (now(CLOCK_REALTIME), now(CLOCK_MONOTONIC))
        let toRealtime = realtime > stamp ? realtime - stamp : stamp - realtime
        let toMonotonic = monotonic > stamp ? monotonic - stamp : stamp - monotonic
        if toRealtime < toMonotonic { return Int64(stamp / 1_000_000) }
        let unix = Int64(realtime) - (Int64(monotonic) - Int64(clamping: stamp))
        return unix / 1_000_000
    }

    /// Unix milliseconds now.
    static func nowMilliseconds() -> Int64 { Int64(now(CLOCK_REALTIME) / 1_000_000) }

    /// CLOCK_MONOTONIC nanoseconds now.
    static func monotonicNanoseconds() -> UInt64 { now(CLOCK_MONOTONIC) }

    private static func now(_ clock: clockid_t) -> UInt64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
