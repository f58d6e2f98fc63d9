/// Counts pulses on one input from its edge events: a pulse is the line being logically
/// active between a rising and the next falling edge, counted when it ends if it lasted at
/// least the minimum width (shorter ones are contact bounce or noise). Times are the events'
/// kernel timestamps (nanoseconds).
struct PulseCounter: Sendable {
    let minimumWidthNanoseconds: UInt64
    let reportPeriodNanoseconds: UInt64
    /// Pulses counted, including those of earlier runs (restored from the count file).
    private(set) var count: UInt64
    /// Pulses too short to count, for the log.
    private(set) var rejected: UInt64 = 0
    private var pulseStart: UInt64?
    /// The count and monotonic time of the last report, for the rate.
    private var lastReport: (count: UInt64, at: UInt64)?

    init(minimumWidthMs: Int, reportPeriodMs: Int, count: UInt64) {
        minimumWidthNanoseconds = UInt64(minimumWidthMs) * 1_000_000
        reportPeriodNanoseconds = UInt64(reportPeriodMs) * 1_000_000
        self.count = count
    }

    /// Feeds one edge; true if it completed a counted pulse.
    @discardableResult
    mutating func edge(rising: Bool, timestamp: UInt64) -> Bool {
        if rising {
            pulseStart = timestamp
            return false
        }
        guard let start = pulseStart else { return false }  // a pulse already under way at start
        pulseStart = nil
        guard timestamp >= start, timestamp - start >= minimumWidthNanoseconds else {
            rejected += 1
            return false
        }
        count += 1
        return true
    }

    /// The line was read active at start (or after a reopen): the pulse began before we watched.
    mutating func levelObserved(_ active: Bool) {
        if !active { pulseStart = nil }
    }

    /// The count and the rate (pulses per second since the last report; nil for the first),
    /// and marks this as the last report.
    mutating func report(now: UInt64) -> (count: UInt64, rate: Double?) {
        var rate: Double?
        if let last = lastReport, now > last.at {
            rate = Double(count - last.count) / (Double(now - last.at) / 1_000_000_000)
        }
        lastReport = (count, now)
        return (count, rate)
    }
}
