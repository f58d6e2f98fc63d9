import Logging
import Synchronization

/// A swift-log handler that keeps every message, for tests that check what the gateway says.
public final class LogCapture: Sendable {
    private let lines = Mutex<[(Logger.Level, String)]>([])
    /// The `connector` metadata of each line (the logger's and the call's), nil when absent.
    private let connectors = Mutex<[String?]>([])

    public init() {}

    public func logger(label: String = "test", level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: label) { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ level: Logger.Level, _ message: String, connector: String? = nil) {
        lines.withLock { lines in
            lines.append((level, message))
            connectors.withLock { $0.append(connector) }
        }
    }

    /// Lines at `level` or above whose `connector` metadata is `connector`.
    public func messages(atLeast level: Logger.Level, connector: String) -> [String] {
        lines.withLock { lines in
            let tags = connectors.withLock { $0 }
            return zip(lines, tags).filter { $0.0.0 >= level && $0.1 == connector }.map(\.0.1)
        }
    }

    public var messages: [String] { lines.withLock { $0.map(\.1) } }

    public func messages(atLeast level: Logger.Level) -> [String] { lines.withLock { $0.filter { $0.0 >= level }.map(\.1) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let tag = metadata?["connector"] ?? self.metadata["connector"]
            capture.append(level, message.description, connector: tag.map { "\($0)" })
        }
    }
}
