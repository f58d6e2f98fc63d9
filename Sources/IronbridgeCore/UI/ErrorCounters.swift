import Synchronization

/// Errors per connector, for the telemetry keys ThingsBoard's gateway UI reads:
/// `<name>_ERRORS_COUNT` (the connector list's "Errors" column) and `ALL_ERRORS_COUNT`
/// (the gateway card). Errors that belong to no connector count under `service`, as the
/// Python gateway's service logger does.
///
/// Two views are kept: totals since start (for `gateway_stats` and `ironbridge status`) and
/// the current window, which the publisher sends and then resets every minute, so that a value
/// on the platform means "errors in the current minute" as it does with the Python gateway.
/// Safe from any thread.
public final class ErrorCounters: Sendable {
    public static let serviceName = "service"
    public static let allKey = "ALL_ERRORS_COUNT"

    public struct Counts: Sendable, Equatable {
        public var perConnector: [String: UInt64] = [:]
        public var all: UInt64 = 0
    }

    private struct State {
        var totals = Counts()
        var window = Counts()
        /// Set by every change, cleared when the window is read for publishing.
        var changed = true
    }

    private let state = Mutex(State())

    public init() {}

    public static func key(connector: String) -> String { "\(connector)_ERRORS_COUNT" }

    /// Counts one error of `connector` (and one in `ALL_ERRORS_COUNT`).
    public func increment(connector: String = ErrorCounters.serviceName) {
        state.withLock { s in
            s.totals.perConnector[connector, default: 0] += 1
            s.totals.all += 1
            s.window.perConnector[connector, default: 0] += 1
            s.window.all += 1
            s.changed = true
        }
    }

    /// Makes `connector` appear with 0 errors, so the UI shows it green rather than blank.
    public func register(connector: String) {
        state.withLock { s in
            if s.totals.perConnector[connector] == nil { s.totals.perConnector[connector] = 0; s.changed = true }
            if s.window.perConnector[connector] == nil { s.window.perConnector[connector] = 0 }
        }
    }

    /// Forgets a connector that was removed (its key is no longer published).
    public func remove(connector: String) {
        state.withLock { s in
            s.totals.perConnector[connector] = nil
            s.window.perConnector[connector] = nil
            s.changed = true
        }
    }

    /// Errors since start.
    public var totals: Counts { state.withLock { $0.totals } }

    /// Errors in the current window.
    public var window: Counts { state.withLock { $0.window } }

    /// The telemetry for the current window, or nil when nothing changed since the last call
    /// (unless `force`).
    public func windowTelemetry(force: Bool = false) -> [String: JSONValue]? {
        state.withLock { s in
            guard s.changed || force else { return nil }
            s.changed = false
            return Self.telemetry(s.window)
        }
    }

    /// Starts a new window: every connector back to 0 (kept, so the UI shows 0, not blank).
    public func resetWindow() {
        state.withLock { s in
            var fresh = Counts()
            for name in s.window.perConnector.keys { fresh.perConnector[name] = 0 }
            if fresh != s.window { s.changed = true }
            s.window = fresh
        }
    }

    static func telemetry(_ counts: Counts) -> [String: JSONValue] {
        var values: [String: JSONValue] = [allKey: .int(Int64(clamping: counts.all))]
        for (name, count) in counts.perConnector { values[key(connector: name)] = .int(Int64(clamping: count)) }
        return values
    }
}
