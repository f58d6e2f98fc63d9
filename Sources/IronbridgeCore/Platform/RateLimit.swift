import IronbridgeSystem

/// A ThingsBoard rate limit such as `"10:1,300:60"`: at most 10 per 1 s and 300 per 60 s.
public struct RateLimit: Sendable, Equatable {
    public struct Window: Sendable, Equatable {
        public var count: Int
        public var seconds: Double
    }

    public var windows: [Window]

    public init(windows: [Window]) { self.windows = windows }

    /// Parses "count:seconds,count:seconds". Returns nil for an empty or malformed text.
    public init?(parsing text: String) {
        var windows: [Window] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let fields = part.split(separator: ":")
            guard fields.count == 2,
                  let count = Int(fields[0].trimmingWhitespace()),
                  let seconds = Double(fields[1].trimmingWhitespace()),
                  count > 0, seconds > 0 else { return nil }
            windows.append(Window(count: count, seconds: seconds))
        }
        guard !windows.isEmpty else { return nil }
        self.windows = windows
    }

    /// The same limit scaled down (the Python gateway keeps to 80 %), never below 1.
    public func scaled(by factor: Double) -> RateLimit {
        RateLimit(windows: windows.map { Window(count: max(1, Int(Double($0.count) * factor)), seconds: $0.seconds) })
    }
}

/// Enforces a ``RateLimit`` with fixed windows: `delay(for:)` says how long to wait before
/// `amount` more may go. Not thread-safe; owned by the sender.
struct RateLimiter {
    private var limit: RateLimit?
    private var windowStart: [ContinuousClock.Instant?]
    private var used: [Int]

    init(_ limit: RateLimit?) {
        self.limit = limit
        windowStart = Array(repeating: nil, count: limit?.windows.count ?? 0)
        used = Array(repeating: 0, count: limit?.windows.count ?? 0)
    }

    /// Zero when `amount` fits now (and it is counted); otherwise how long to wait before asking again.
    mutating func reserve(_ amount: Int, now: ContinuousClock.Instant = .now) -> Duration {
        guard let limit else { return .zero }
        var wait = Duration.zero
        for (index, window) in limit.windows.enumerated() {
            let length = Duration.milliseconds(Int(window.seconds * 1000))
            let start: ContinuousClock.Instant
            if let current = windowStart[index], now - current < length {
                start = current
            } else {
                start = now
                windowStart[index] = now
                used[index] = 0
            }
            // An amount larger than a whole window goes alone into a fresh window.
            if used[index] > 0 && used[index] + amount > window.count {
                wait = max(wait, start + length - now)
            }
        }
        guard wait == .zero else { return wait }
        for index in used.indices { used[index] += amount }
        return .zero
    }
}
