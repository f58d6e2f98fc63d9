import Synchronization

/// Counters for `gateway_stats` and the logs.
public final class GatewayStatistics: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var messagesSent: UInt64 = 0
        public var pointsSent: UInt64 = 0
        public var rpcsServed: UInt64 = 0
        public var rpcsTimedOut: UInt64 = 0
        public var malformedMessages: UInt64 = 0
        public var connectorErrors: [String: UInt64] = [:]
        /// Stored records sent and acknowledged, and their points by kind (`serviceStats`).
        public var recordsSent: UInt64 = 0
        public var telemetryPointsSent: UInt64 = 0
        public var attributePointsSent: UInt64 = 0
    }

    private let counters = Mutex(Snapshot())
    /// Errors per connector for `<name>_ERRORS_COUNT` / `ALL_ERRORS_COUNT`; ``connectorError(_:)`` counts here.
    public let errors = ErrorCounters()

    public init() {}

    public var snapshot: Snapshot {
        var copy = counters.withLock { $0 }
        copy.connectorErrors = errors.totals.perConnector
        return copy
    }

    func messageSent(points: Int, records: Int = 0, telemetry: Bool? = nil) {
        counters.withLock { c in
            c.messagesSent += 1
            c.pointsSent += UInt64(points)
            c.recordsSent += UInt64(max(records, 0))
            switch telemetry {
            case true?: c.telemetryPointsSent += UInt64(points)
            case false?: c.attributePointsSent += UInt64(points)
            case nil: break
            }
        }
    }

    func rpcServed(timedOut: Bool) {
        counters.withLock { c in
            c.rpcsServed += 1
            if timedOut { c.rpcsTimedOut += 1 }
        }
    }

    func malformedMessage() { counters.withLock { $0.malformedMessages += 1 } }

    public func connectorError(_ connector: String) { errors.increment(connector: connector) }
}
