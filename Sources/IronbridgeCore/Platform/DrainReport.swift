import IronbridgeSystem

/// Watches the store deliver a backlog and says, when it is done, how fast that went:
/// points delivered while draining, seconds, points per second.
struct DrainReport {
    private var startedAt: ContinuousClock.Instant?
    private var pointsAtStart: UInt64 = 0

    /// Call after each read from the store; returns a line to log when a drain ends.
    mutating func update(draining: Bool, pointsSent: UInt64, now: ContinuousClock.Instant = .now) -> String? {
        if draining {
            if startedAt == nil {
                startedAt = now
                pointsAtStart = pointsSent
            }
            return nil
        }
        guard let started = startedAt else { return nil }
        startedAt = nil
        let elapsed = now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let points = pointsSent - pointsAtStart
        let rate = seconds > 0 ? Double(points) / seconds : 0
        return "the stored backlog is delivered: \(points) points in \(TextFormat.fixed(seconds, decimals: 1)) s (\(Int(rate)) points/s, live data included)"
    }
}
