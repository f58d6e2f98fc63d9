import IronbridgeSystem
import Logging

/// Log lines for journald (when `$JOURNAL_STREAM` is set, i.e. stderr is connected to the
/// journal): no timestamp (the journal stamps each line) and no label, and a `<N>` syslog
/// priority prefix that journald turns into the entry's priority (`journalctl -p warning`).
struct JournalLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    private let lock: ThreadLock

    init(level: Logger.Level, lock: ThreadLock) {
        self.logLevel = level
        self.lock = lock
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "<\(Self.priority(event.level))>\(event.message)"
        if !merged.isEmpty {
            line += " [" + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "]"
        }
        line += "\n"
        lock.lock()
        defer { lock.unlock() }
        StandardStream.writeError(line)
    }

    /// syslog(3) priorities.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
