extension MessageRule.Trigger {
    /// Whether the step from `previous` (nil: the first value seen) to `current` fires the rule.
    /// Edges and `changed` need a previous value; `above`, `below` and `equal` fire when the
    /// condition becomes true, so a value that stays above a limit sends once, not at every poll.
    public func fires(previous: JSONValue?, current: JSONValue) -> Bool {
        switch self {
        case .edge(let edge):
            guard let before = previous.flatMap(Self.level), let now = Self.level(current), before != now else { return false }
            switch edge {
            case .rising: return now
            case .falling: return !now
            case .both: return true
            }
        case .changed:
            guard let previous else { return false }
            return !Self.same(previous, current)
        case .above(let limit):
            return Self.meets(current) { $0 > limit } && !(previous.map { Self.meets($0) { $0 > limit } } ?? false)
        case .below(let limit):
            return Self.meets(current) { $0 < limit } && !(previous.map { Self.meets($0) { $0 < limit } } ?? false)
        case .equal(let expected):
            return Self.same(current, expected) && !(previous.map { Self.same($0, expected) } ?? false)
        }
    }

    static func level(_ value: JSONValue) -> Bool? {
        switch value {
        case .bool(let flag): flag
        case .int(0): false
        case .int(1): true
        default: nil
        }
    }

    static func meets(_ value: JSONValue, _ condition: (Double) -> Bool) -> Bool {
        guard let number = value.doubleValue else { return false }
        return condition(number)
    }

    /// Equal as JSON, numbers compared by value (1 == 1.0).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue, a.isNumber, b.isNumber { return x == y }
        return a == b
    }
}

extension JSONValue {
    var isNumber: Bool {
        switch self {
        case .int, .uint, .double: true
        default: false
        }
    }
}
