import IronbridgeSystem

/// Drops of one episode of a full store: the first drop opens an episode and is logged with
/// its cause; the episode closes when no record was dropped for `quiet` seconds, and is then
/// logged once with its count. Never one line per record.
struct DropEpisode {
    private var count: UInt64 = 0
    private var startedAt: Int64?
    private var lastDropAt: Int64 = 0
    private let quietMilliseconds: Int64

    init(quietSeconds: Int64 = 30) { quietMilliseconds = quietSeconds * 1000 }

    /// Records `dropped` records; returns the line to log when this opens an episode.
    mutating func record(_ dropped: UInt64, reason: String, at now: Int64) -> String? {
        guard dropped > 0 else { return nil }
        count += dropped
        lastDropAt = now
        guard startedAt == nil else { return nil }
        startedAt = now
        return "storage is full (\(reason)): dropping the oldest records until there is room; the count follows when it stops"
    }

    /// Returns the closing line once the episode has been quiet long enough.
    mutating func close(at now: Int64, force: Bool = false) -> String? {
        guard let started = startedAt, force || now - lastDropAt >= quietMilliseconds else { return nil }
        defer { startedAt = nil; count = 0 }
        let seconds = Double(lastDropAt - started) / 1000
        return "storage dropped \(count) of the oldest records over \(TextFormat.fixed(seconds, decimals: 1)) s because it was full"
    }
}
