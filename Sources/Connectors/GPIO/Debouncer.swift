/// Software debounce of one input's edge events, where the kernel does not debounce (libgpiod 1.x
/// and the simulated chip; with libgpiod 2.x the chip worker asks the kernel instead).
///
/// With a period of 0 every edge is reported at once, with its own timestamp. Otherwise a burst
/// of edges is held until the line has been quiet for the period; then the level after the
/// burst's last edge is reported, stamped with the burst's FIRST edge (when the change began).
/// For lines watching both edges, a burst that ends where it started (a glitch) reports nothing.
/// Times are in nanoseconds of the gateway's monotonic clock (when the events were read).
struct Debouncer: Sendable {
    struct Report: Sendable, Equatable {
        var level: Bool
        /// The event's kernel timestamp (nanoseconds).
        var eventTimestamp: UInt64
    }

    let periodNanoseconds: UInt64
    /// Whether the line watches both edges, so that the edge type tracks the level.
    let tracksLevel: Bool
    /// The last level reported (or read at start).
    private(set) var reported: Bool?
    private var pending: (level: Bool, firstStamp: UInt64, quietAfter: UInt64)?

    init(periodMs: Int, tracksLevel: Bool, reported: Bool? = nil) {
        self.periodNanoseconds = UInt64(periodMs) * 1_000_000
        self.tracksLevel = tracksLevel
        self.reported = reported
    }

    /// When the pending burst settles (monotonic ns), if one is pending.
    var deadline: UInt64? { pending?.quietAfter }

    /// Feeds one edge read at `now`; returns a report to send at once (period 0 only).
    mutating func edge(level: Bool, eventTimestamp: UInt64, now: UInt64) -> Report? {
        if periodNanoseconds == 0 {
            reported = level
            return Report(level: level, eventTimestamp: eventTimestamp)
        }
        let first = pending?.firstStamp ?? eventTimestamp
        pending = (level, first, now &+ periodNanoseconds)
        return nil
    }

    /// Settles a burst that has been quiet for the period by `now`.
    mutating func settle(now: UInt64) -> Report? {
        guard let burst = pending, now >= burst.quietAfter else { return nil }
        pending = nil
        if tracksLevel && burst.level == reported { return nil }
        reported = burst.level
        return Report(level: burst.level, eventTimestamp: burst.firstStamp)
    }

    /// A level read directly (start, periodic report) becomes the reference.
    mutating func observe(level: Bool) {
        if pending == nil { reported = level }
    }
}
