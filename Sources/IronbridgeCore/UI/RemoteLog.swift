#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// Log lines for ThingsBoard's gateway log view (docs/gateway-ui.md, "Remote logging").
///
/// Lines of a connector (the `connector` metadata key) whose entry has `enableRemoteLogging: true`
/// go out as `<name>_LOGS` whatever `RemoteLoggingLevel` says. Every other line goes out as
/// `SERVICE_LOGS` and `LOGS` when the shared attribute `RemoteLoggingLevel` allows its level
/// (default `NONE`: nothing), so a refused connector configuration reaches the main log view. Each line reads `2026-01-02 03:04:05,678 - |INFO|<swift> [File.swift] - File
/// function - 42 - message`, the Python gateway's layout, which the UI parses.
///
/// A token bucket (`thingsboard.remoteLogging.linesPerSecond`, default 5, `burst`, default 50)
/// bounds what is queued; refused lines are counted and one line says how many were skipped.
/// The queue holds at most 1000 elements (oldest dropped); batches of up to 20 are sent as a
/// JSON array to `v1/devices/me/telemetry`, only while connected. Anything logged while the
/// forwarder itself publishes is never forwarded (no feedback loop).
public final class RemoteLog: Sendable {
    public static let queueLimit = 1000
    public static let batchSize = 20
    /// The values `RemoteLoggingLevel` takes, and the level each lets through (nil: nothing).
    public static let levels: [String: Logger.Level?] = [
        "NONE": nil, "CRITICAL": .critical, "ERROR": .error, "WARNING": .warning, "INFO": .info, "DEBUG": .debug, "TRACE": .trace,
    ]

    /// True while the forwarder publishes: lines logged then are not forwarded.
    @TaskLocal static var isPublishing = false

    struct State {
        var level: Logger.Level?
        var levelName = "NONE"
        var connectors: Set<String> = []
        var queue: [JSONValue] = []
        var bucket: TokenBucket
        var refused: UInt64 = 0
        var refusedTotal: UInt64 = 0
        var sent: UInt64 = 0
    }

    private let state: Mutex<State>
    /// Where error lines of no connector are counted (`service_ERRORS_COUNT`), once attached.
    private let errorCounters = Mutex<ErrorCounters?>(nil)

    public init(linesPerSecond: Double = 5, burst: Int = 50) {
        state = Mutex(State(bucket: TokenBucket(rate: linesPerSecond, capacity: Double(burst))))
    }

    /// Applies the configuration's rate and the connectors that have `enableRemoteLogging`.
    public func configure(_ config: GatewayUIConfig, connectors: [ConnectorEntry]) {
        state.withLock { s in
            s.bucket = TokenBucket(rate: config.remoteLogLinesPerSecond, capacity: Double(config.remoteLogBurst))
            s.connectors = Set(connectors.filter(\.enableRemoteLogging).map(\.name))
        }
    }

    /// Counts every error (or critical) line that names no connector as a `service` error, as the
    /// Python gateway's service logger does. Connectors count their own errors (`recordError`).
    public func countServiceErrors(in counters: ErrorCounters) { errorCounters.withLock { $0 = counters } }

    /// Turns a connector's remote logging on or off (remote configuration's `enableRemoteLogging`).
    public func setConnector(_ name: String, enabled: Bool) {
        state.withLock { s in
            if enabled { s.connectors.insert(name) } else { s.connectors.remove(name) }
        }
    }

    /// Applies `RemoteLoggingLevel`; false (and no change) for a value that is not one of ``levels``.
    @discardableResult
    public func setLevel(_ name: String) -> Bool {
        let upper = name.uppercased()
        guard let level = Self.levels[upper] else { return false }
        state.withLock { s in
            s.level = level
            s.levelName = upper
        }
        return true
    }

    public var levelName: String { state.withLock { $0.levelName } }
    /// Lines refused by the rate limit since start, and lines sent.
    public var refusedLines: UInt64 { state.withLock { $0.refusedTotal } }
    public var sentLines: UInt64 { state.withLock { $0.sent } }

    // MARK: From the log handler

    func accept(level: Logger.Level, message: String, connector: String?, file: String, function: String, line: UInt,
                now: ContinuousClock.Instant = .now) {
        guard !Self.isPublishing else { return }
        // libmosquitto's per-packet lines (trace/debug, on the network thread) would describe the
        // forwarder's own publishing: never forwarded, or every line sent would make another.
        if level < .info, file.hasPrefix("IronbridgeMQTT/") { return }
        if connector == nil, level >= .error, let counters = errorCounters.withLock({ $0 }) {
            counters.increment(connector: ErrorCounters.serviceName)
        }
        state.withLock { s in
            let keys: [String]
            if let connector, s.connectors.contains(connector) {
                keys = ["\(connector)_LOGS"]
            } else {
                // Service lines, and lines of connectors without enableRemoteLogging, follow RemoteLoggingLevel.
                guard let threshold = s.level, level >= threshold else { return }
                keys = [Self.serviceKey(file: file), "LOGS"]
            }
            guard s.bucket.take(now: now) else {
                s.refused += 1
                s.refusedTotal += 1
                return
            }
            let ts = UnixTime.nowMilliseconds
            if s.refused > 0 {
                let note = Self.format(level: .warning, message: "\(s.refused) log line(s) were not sent: remote logging is limited to \(s.bucket.rate) lines/s (burst \(Int(s.bucket.capacity)))",
                                       file: #fileID, function: #function, line: #line, ts: ts)
                Self.enqueue(&s, ts: ts, keys: ["SERVICE_LOGS", "LOGS"], line: note)
                s.refused = 0
            }
            Self.enqueue(&s, ts: ts, keys: keys, line: Self.format(level: level, message: message, file: file, function: function, line: line, ts: ts))
        }
    }

    /// The Python gateway's service keys: the MQTT link's lines are `CONNECTION_LOGS`, the
    /// store's `STORAGE_LOGS`, the rest `SERVICE_LOGS` (each also as `LOGS`).
    static func serviceKey(file: String) -> String {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        if file.hasPrefix("IronbridgeMQTT/") || ["PlatformLink.swift", "UploadSender.swift", "ConnectionGate.swift"].contains(name) {
            return "CONNECTION_LOGS"
        }
        if ["UploadBuffer", "UploadStore", "Journal", "StoreMaintenance", "DropEpisode", "ReleaseLog"].contains(where: { name.hasPrefix($0) }) {
            return "STORAGE_LOGS"
        }
        return "SERVICE_LOGS"
    }

    private static func enqueue(_ s: inout State, ts: Int64, keys: [String], line: String) {
        var values: [String: JSONValue] = [:]
        for key in keys { values[key] = .string(line) }
        s.queue.append(["ts": .int(ts), "values": .object(values)])
        if s.queue.count > queueLimit { s.queue.removeFirst(s.queue.count - queueLimit) }
    }

    static func format(level: Logger.Level, message: String, file: String, function: String, line: UInt, ts: Int64) -> String {
        let fileName = file.split(separator: "/").last.map(String.init) ?? file
        let module = fileName.hasSuffix(".swift") ? String(fileName.dropLast(6)) : fileName
        let functionName = function.split(separator: "(").first.map(String.init) ?? function
        return "\(timestamp(ts)) - |\(levelName(level))|<swift> [\(fileName)] - \(module) \(functionName) - \(line) - \(PlatformText.clip(message, limit: 2000))"
    }

    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
    }

    /// "2026-01-02 03:04:05,678" in UTC, as Python's logging asctime.
    static func timestamp(_ ms: Int64) -> String {
        var seconds = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let millis = Int(ms % 1000)
        let msText = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)),\(msText)"
    }

    // MARK: Sending

    func takeBatch() -> [JSONValue] {
        state.withLock { s in
            let count = min(Self.batchSize, s.queue.count)
            defer { s.queue.removeFirst(count) }
            return Array(s.queue.prefix(count))
        }
    }

    private func putBack(_ batch: [JSONValue]) {
        state.withLock { s in
            s.queue.insert(contentsOf: batch, at: 0)
            if s.queue.count > Self.queueLimit { s.queue.removeLast(s.queue.count - Self.queueLimit) }
        }
    }

    /// Sends queued lines while `platform` is connected, until cancelled. Logs nothing itself.
    public func run(platform: PlatformLink) async {
        await Self.$isPublishing.withValue(true) {
            while !Task.isCancelled {
                while platform.isConnected, !Task.isCancelled {
                    let batch = takeBatch()
                    if batch.isEmpty { break }
                    let sent = (try? await platform.publishGatewayTelemetry(.array(batch))) ?? false
                    guard sent else {
                        putBack(batch)
                        break
                    }
                    state.withLock { $0.sent += UInt64(batch.count) }
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

/// A swift-log handler that hands lines to a ``RemoteLog``; use it beside the local handler in a
/// `MultiplexLogHandler`. The `connector` metadata key attributes a line to a connector.
public struct RemoteLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let remote: RemoteLog

    public init(remote: RemoteLog, level: Logger.Level) {
        self.remote = remote
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let connectorValue = event.metadata?["connector"] ?? metadata["connector"]
        var connector: String?
        if case .string(let name)? = connectorValue { connector = name } else if let connectorValue { connector = "\(connectorValue)" }
        remote.accept(level: event.level, message: event.message.description, connector: connector, file: event.file,
                      function: event.function, line: event.line)
    }
}

/// Tokens refill at `rate` per second up to `capacity`; each line takes one.
struct TokenBucket: Sendable {
    let rate: Double
    let capacity: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant?

    init(rate: Double, capacity: Double) {
        self.rate = rate
        self.capacity = max(1, capacity)
        self.tokens = max(1, capacity)
    }

    mutating func take(now: ContinuousClock.Instant) -> Bool {
        if let last {
            let elapsed = now - last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(capacity, tokens + max(0, seconds) * rate)
        }
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
