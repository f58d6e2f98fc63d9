#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time in Unix milliseconds (CLOCK_REALTIME), as the platform's `ts` uses it.
public enum UnixTime {
    public static var nowMilliseconds: Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
