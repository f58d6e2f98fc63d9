import IronbridgeSystem

/// Wall-clock time in Unix milliseconds (CLOCK_REALTIME), as the platform's `ts` uses it:
/// `SystemClock.nowMilliseconds` under the name the gateway's code has used all along.
public enum UnixTime {
    @inlinable public static var nowMilliseconds: Int64 { SystemClock.nowMilliseconds }
}
