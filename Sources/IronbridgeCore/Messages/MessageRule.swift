/// One entry of a `messages` list (on a GPIO input line or a Modbus key): when the key's value
/// meets `trigger`, `method` with `params` goes to `target` (docs/messages.md).
public struct MessageRule: Sendable, Equatable {
    public enum Edge: String, Sendable, Equatable { case rising, falling, both }

    public enum Trigger: Sendable, Equatable, CustomStringConvertible {
        /// A GPIO input's level changed (0 -> 1 rising, 1 -> 0 falling).
        case edge(Edge)
        /// The value differs from the previous one.
        case changed
        /// The condition became true: the previous value did not meet it (or there was none).
        case above(Double), below(Double), equal(JSONValue)

        public var description: String {
            switch self {
            case .edge(let edge): "\(edge.rawValue) edge"
            case .changed: "changed"
            case .above(let limit): "above \(limit)"
            case .below(let limit): "below \(limit)"
            case .equal(let value): "equal \(value.jsonString)"
            }
        }
    }

    /// Where the rule sits: a GPIO input line, or a value read from a device (Modbus key).
    public enum Source: Sendable { case gpioInput, value }

    /// The sender: a configured device name.
    public var device: String
    /// The telemetry or attribute key whose values are watched.
    public var key: String
    public var trigger: Trigger
    public var method: String
    public var params: JSONValue
    public var target: String
    public var expiryMs: Int
    public var timeoutMs: Int
    public var minIntervalMs: Int
    /// Where the rule is configured, for errors: file and JSON path.
    public var file: String
    public var path: String

    public static let defaultMethod = "sendMsg"
    public static let defaultParams: JSONValue = ["deviceName": "${deviceName}", "key": "${key}", "value": "${value}", "ts": "${ts}"]
    public static let defaultExpiryMs = 300_000
    public static let defaultTimeoutMs = 10_000
    public static let defaultMinIntervalMs = 1_000
    static let knownKeys: Set<String> = ["edge", "when", "value", "target", "method", "params", "expiryMs", "timeoutMs", "minIntervalMs"]

    public init(device: String, key: String, trigger: Trigger, method: String = defaultMethod, params: JSONValue = defaultParams,
                target: String, expiryMs: Int = defaultExpiryMs, timeoutMs: Int = defaultTimeoutMs,
                minIntervalMs: Int = defaultMinIntervalMs, file: String = "", path: String = "") {
        self.device = device
        self.key = key
        self.trigger = trigger
        self.method = method
        self.params = params
        self.target = target
        self.expiryMs = expiryMs
        self.timeoutMs = timeoutMs
        self.minIntervalMs = minIntervalMs
        self.file = file
        self.path = path
    }

    /// One line for `ironbridge check`.
    public var summary: String {
        "message on \(key) \(trigger): \(method) -> '\(target)' (params \(params.jsonString); at most one per \(minIntervalMs) ms, expires after \(expiryMs) ms, answer within \(timeoutMs) ms)"
    }

    /// Reads a `messages` array (absent: none). Problems are recorded with the node's file and
    /// JSON path; entries with errors are left out.
    public static func readList(_ node: ConfigNode, device: String, key: String, source: Source) -> [MessageRule] {
        var rules: [MessageRule] = []
        for entry in node.arrayElements() {
            if let rule = read(entry, device: device, key: key, source: source) { rules.append(rule) }
        }
        return rules
    }

    static func read(_ node: ConfigNode, device: String, key: String, source: Source) -> MessageRule? {
        guard node.value?.objectValue != nil else {
            node.error("expected an object such as {\"target\": \"Controller A\", \(source == .gpioInput ? "\"edge\": \"rising\"" : "\"when\": \"above\", \"value\": 50")}, found \(node.value?.kindName ?? "nothing")")
            return nil
        }
        node.checkKeys(known: knownKeys)
        let errorsBefore = node.diagnostics.errors.count
        let target = node["target"].requiredString()
        if let target, target == device { node["target"].error("a device cannot send a message to itself ('\(device)')") }
        let method = node["method"].string(default: defaultMethod)
        if method.isEmpty { node["method"].error("must not be empty") }
        let params = node["params"].exists ? node["params"].value! : defaultParams
        for name in MessageTemplate.unknownPlaceholders(in: params) {
            node["params"].warning("'${\(name)}' is not a placeholder and is sent as written (placeholders: \(MessageTemplate.placeholders.map { "${\($0)}" }.joined(separator: ", ")))")
        }
        let expiryMs = node["expiryMs"].int(default: defaultExpiryMs, in: 1_000...604_800_000)
        let timeoutMs = node["timeoutMs"].int(default: defaultTimeoutMs, in: 100...600_000)
        let minIntervalMs = node["minIntervalMs"].int(default: defaultMinIntervalMs, in: 0...86_400_000)
        let trigger: Trigger?
        switch source {
        case .gpioInput:
            for other in ["when", "value"] where node[other].exists {
                node[other].error("a GPIO input's message is triggered by \"edge\" (rising, falling or both), not \"\(other)\"")
            }
            let edge = node["edge"].oneOf(["rising", "falling", "both"], default: "both") ?? "both"
            trigger = .edge(Edge(rawValue: edge) ?? .both)
        case .value:
            if node["edge"].exists { node["edge"].error("\"edge\" applies to GPIO inputs; use \"when\": changed, above, below or equal") }
            let when = node["when"].oneOf(["changed", "above", "below", "equal"], default: "changed") ?? "changed"
            switch when {
            case "above", "below":
                guard let limit = node["value"].exists ? node["value"].optionalDouble() : nil else {
                    if !node["value"].exists { node["value"].error("is required with \"when\": \"\(when)\" (a number)") }
                    trigger = nil
                    break
                }
                trigger = when == "above" ? .above(limit) : .below(limit)
            case "equal":
                guard let value = node["value"].value, node["value"].exists else {
                    node["value"].error("is required with \"when\": \"equal\" (the value to compare with)")
                    trigger = nil
                    break
                }
                trigger = .equal(value)
            default:
                if node["value"].exists { node["value"].warning("applies to \"when\": above, below or equal; ignored for \"changed\"") }
                trigger = .changed
            }
        }
        guard node.diagnostics.errors.count == errorsBefore, let target, let trigger else { return nil }
        return MessageRule(device: device, key: key, trigger: trigger, method: method, params: params, target: target,
                           expiryMs: expiryMs, timeoutMs: timeoutMs, minIntervalMs: minIntervalMs, file: node.file, path: node.path)
    }
}
