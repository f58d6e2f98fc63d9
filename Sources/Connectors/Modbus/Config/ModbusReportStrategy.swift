import IronbridgeCore

/// When a polled value goes to the platform (`reportStrategy`, as in the Python gateway).
/// Precedence: key > device > connector > gateway; the default is `ON_RECEIVED`.
public struct ModbusReportStrategy: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case onReceived = "ON_RECEIVED"
        case onChange = "ON_CHANGE"
        case onReportPeriod = "ON_REPORT_PERIOD"
        case onChangeOrReportPeriod = "ON_CHANGE_OR_REPORT_PERIOD"
        case disabled = "DISABLED"
    }

    public static let defaultReportPeriodMs = 10_000
    public static let onReceived = ModbusReportStrategy(kind: .onReceived, reportPeriodMs: defaultReportPeriodMs)

    public var kind: Kind
    /// For the period kinds: the longest time between two reports of a key, in ms.
    public var reportPeriodMs: Int

    public init(kind: Kind, reportPeriodMs: Int = ModbusReportStrategy.defaultReportPeriodMs) {
        self.kind = kind
        self.reportPeriodMs = reportPeriodMs
    }

    public var description: String {
        switch kind {
        case .onReportPeriod, .onChangeOrReportPeriod: "\(kind.rawValue) (\(reportPeriodMs) ms)"
        default: kind.rawValue
        }
    }

    /// Reads `{"type": "...", "reportPeriod": ms}`; nil when the node is absent or wrong (errors recorded).
    static func read(_ node: ConfigNode) -> ModbusReportStrategy? {
        guard node.exists else { return nil }
        guard node.value?.objectValue != nil else {
            node.error("expected an object like {\"type\": \"ON_CHANGE\"}, found \(node.value!.kindName)")
            return nil
        }
        node.checkKeys(known: ["type", "reportPeriod"])
        guard node["type"].exists else {
            node["type"].error("is required (one of: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        guard let name = node["type"].oneOf(Kind.allCases.map(\.rawValue), default: nil),
              let kind = Kind(rawValue: name) else { return nil }
        let period = node["reportPeriod"].int(default: defaultReportPeriodMs, in: 1...86_400_000)
        return ModbusReportStrategy(kind: kind, reportPeriodMs: period)
    }
}

/// The report state of one key: what was last sent and when. Owned by the line thread.
struct ModbusReportFilter {
    let strategy: ModbusReportStrategy
    private var lastValue: JSONValue?
    private var lastSentMs: Int64?

    init(strategy: ModbusReportStrategy) { self.strategy = strategy }

    /// Whether `value`, read at `nowMs`, is to be reported now. As the Python gateway: the
    /// period kinds report the first value at once; after that ON_REPORT_PERIOD keeps the
    /// latest value for ``periodic(nowMs:)``, and ON_CHANGE_OR_REPORT_PERIOD also reports
    /// every change at once (without restarting the period).
    mutating func admit(_ value: JSONValue, nowMs: Int64) -> Bool {
        let first = lastValue == nil
        let changed = value != lastValue
        switch strategy.kind {
        case .onReceived:
            lastValue = value
            return true
        case .disabled:
            return false
        case .onChange:
            lastValue = value
            return changed
        case .onReportPeriod, .onChangeOrReportPeriod:
            lastValue = value
            if first { lastSentMs = nowMs; return true }
            return strategy.kind == .onChangeOrReportPeriod && changed
        }
    }

    /// The period kinds: the latest value when a period has passed since it was last
    /// reported by period (or first), to be sent with the current time; nil otherwise.
    mutating func periodic(nowMs: Int64) -> JSONValue? {
        guard isPeriodic, let lastValue, let lastSentMs, nowMs - lastSentMs >= Int64(strategy.reportPeriodMs) else { return nil }
        self.lastSentMs = nowMs
        return lastValue
    }

    /// When ``periodic(nowMs:)`` has a value next, in wall-clock ms; nil when it never will
    /// (another kind, or nothing read since the last reset).
    var nextPeriodicMs: Int64? {
        guard isPeriodic, lastValue != nil, let lastSentMs else { return nil }
        return lastSentMs + Int64(strategy.reportPeriodMs)
    }

    private var isPeriodic: Bool { strategy.kind == .onReportPeriod || strategy.kind == .onChangeOrReportPeriod }

    /// Forget the last value, so that the next read is reported (after a reconnect).
    mutating func reset() {
        lastValue = nil
        lastSentMs = nil
    }

}
