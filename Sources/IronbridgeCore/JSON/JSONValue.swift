import IronbridgeSystem

/// A JSON value as the platform sends and receives it. Numbers keep the distinction
/// between integers and floating point so that `1` goes out as `1`, not `1.0`.
/// Integers are exact over the whole range of Int64 and UInt64: `.uint` holds those above
/// `Int64.max` only (make one with ``unsigned(_:)``, which picks `.int` when it fits), so
/// that one number has one representation.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    /// An integer above `Int64.max` (up to `UInt64.max`).
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    /// An unsigned integer, exact: `.int` when it fits in Int64, else `.uint`.
    public static func unsigned(_ number: UInt64) -> JSONValue {
        Int64(exactly: number).map(JSONValue.int) ?? .uint(number)
    }

    /// The value as an unsigned integer: non-negative integers (of either case), and
    /// non-negative doubles without a fraction below 2^64.
    public var uint64Value: UInt64? {
        switch self {
        case .int(let number): return UInt64(exactly: number)
        case .uint(let number): return number
        case .double(let number): return UInt64(exactly: number)
        default: return nil
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The value as a whole number: integers, and doubles without a fraction.
    public var intValue: Int64? {
        switch self {
        case .int(let number): return number
        case .double(let number) where number.rounded() == number && abs(number) < 9.2e18: return Int64(number)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let number): return Double(number)
        case .uint(let number): return Double(number)
        case .double(let number): return number
        default: return nil
        }
    }

    /// A short name of the value's kind, for error messages ("expected a number, found a string").
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .uint, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// RPC `params` may arrive as a string that holds JSON (`"{\"pin\": 23}"`): this returns
    /// the parsed object or array in that case, and the value itself otherwise.
    public var unwrappingJSONString: JSONValue {
        guard case .string(let text) = self else { return self }
        let trimmed = text.trimmingWhitespace()
        guard trimmed.hasPrefix("{") || trimmed.hasPrefix("[") else { return self }
        return (try? JSONValue.parse(Array(trimmed.utf8))) ?? self
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
