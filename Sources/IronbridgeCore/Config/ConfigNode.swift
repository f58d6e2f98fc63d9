import FoundationEssentials
import IronbridgeSystem

/// A position in a configuration file that reads typed values and records, instead of
/// throwing, every missing, mistyped or out-of-range value with its file and JSON path.
/// Readers take a default so that one load can report all problems at once.
public struct ConfigNode: Sendable {
    public let value: JSONValue?
    public let path: String
    public let file: String
    public let diagnostics: ConfigDiagnostics

    public init(value: JSONValue?, path: String = "$", file: String, diagnostics: ConfigDiagnostics) {
        self.value = value
        self.path = path
        self.file = file
        self.diagnostics = diagnostics
    }

    /// Loads and parses a JSON file. A missing file or invalid JSON is recorded as an error
    /// and gives a node with no value.
    public static func load(file url: URL, displayName: String? = nil, diagnostics: ConfigDiagnostics) -> ConfigNode {
        let name = displayName ?? url.path
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "cannot be read" : "does not exist"
            diagnostics.add(ConfigDiagnostic(severity: .error, file: name, path: "$", message: "the file \(reason)"))
            return ConfigNode(value: nil, file: name, diagnostics: diagnostics)
        }
        var bytes = Array(data)
        // A UTF-8 byte-order mark, as some Windows editors write it, is not part of the JSON.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        do {
            let value = try JSONValue.parse(bytes)
            if value == .null {
                diagnostics.add(ConfigDiagnostic(severity: .error, file: name, path: "$", message: "the file holds only null; expected an object"))
            }
            return ConfigNode(value: value, file: name, diagnostics: diagnostics)
        } catch {
            let (line, column) = Self.lineAndColumn(of: error.offset, in: bytes)
            diagnostics.add(ConfigDiagnostic(severity: .error, file: name, path: "$",
                                             message: "\(error.reason) at line \(line), column \(column)"))
            return ConfigNode(value: nil, file: name, diagnostics: diagnostics)
        }
    }

    private static func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (Int, Int) {
        var line = 1, column = 1
        for byte in bytes.prefix(offset) {
            if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    public var exists: Bool { value != nil && value != .null }

    public func error(_ message: String) {
        diagnostics.add(ConfigDiagnostic(severity: .error, file: file, path: path, message: message))
    }

    public func warning(_ message: String) {
        diagnostics.add(ConfigDiagnostic(severity: .warning, file: file, path: path, message: message))
    }

    public subscript(key: String) -> ConfigNode {
        ConfigNode(value: value?[key], path: "\(path).\(key)", file: file, diagnostics: diagnostics)
    }

    /// The members of an object (keys sorted), or [] with an error if the value is not an object.
    public func objectMembers() -> [(key: String, node: ConfigNode)] {
        guard let value else { return [] }
        guard let members = value.objectValue else {
            error("expected an object, found \(value.kindName)")
            return []
        }
        return members.keys.sorted().map { ($0, self[$0]) }
    }

    /// The elements of an array; a missing key gives [] (and an error if `required`).
    public func arrayElements(required: Bool = false) -> [ConfigNode] {
        guard let value, value != .null else {
            if required { error("is required (an array)") }
            return []
        }
        guard let items = value.arrayValue else {
            error("expected an array, found \(value.kindName)")
            return []
        }
        return items.indices.map { ConfigNode(value: items[$0], path: "\(path)[\($0)]", file: file, diagnostics: diagnostics) }
    }

    /// Warns about keys this node's object has that the reader does not know, and about
    /// keys that are known from the Python gateway but not supported here.
    public func checkKeys(known: Set<String>, ignored: [String: String] = [:]) {
        guard let members = value?.objectValue else { return }
        for key in members.keys.sorted() where !known.contains(key) {
            if let why = ignored[key] {
                self[key].warning("is not supported and is ignored: \(why)")
            } else {
                self[key].warning("unknown key, ignored (known keys: \(known.sorted().joined(separator: ", ")))")
            }
        }
    }

    // MARK: Typed readers

    public func string(default fallback: String) -> String { optionalString() ?? fallback }

    public func optionalString() -> String? {
        guard let value, value != .null else { return nil }
        guard let text = value.stringValue else {
            error("expected a string, found \(value.kindName)")
            return nil
        }
        return text
    }

    public func requiredString() -> String? {
        guard exists else {
            error("is required (a string)")
            return nil
        }
        guard let text = optionalString() else { return nil }
        if text.isEmpty { error("must not be empty") ; return nil }
        return text
    }

    public func optionalInt(in range: ClosedRange<Int64>? = nil) -> Int64? {
        guard let value, value != .null else { return nil }
        let number: Int64?
        if case .string(let text) = value, let parsed = Int64(text.trimmingWhitespace()) {
            number = parsed
        } else {
            number = value.intValue
        }
        guard let number else {
            error("expected a whole number, found \(value.kindName == "a number" ? "\(value.jsonString)" : value.kindName)")
            return nil
        }
        if let range, !range.contains(number) {
            error("\(number) is out of range: expected \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return number
    }

    public func int(default fallback: Int, in range: ClosedRange<Int64>? = nil) -> Int {
        optionalInt(in: range).map { Int($0) } ?? fallback
    }

    public func requiredInt(in range: ClosedRange<Int64>? = nil) -> Int? {
        guard exists else {
            error("is required (a whole number)")
            return nil
        }
        return optionalInt(in: range).map { Int($0) }
    }

    public func optionalDouble(in range: ClosedRange<Double>? = nil) -> Double? {
        guard let value, value != .null else { return nil }
        guard let number = value.doubleValue else {
            error("expected a number, found \(value.kindName)")
            return nil
        }
        if let range, !range.contains(number) {
            error("\(number) is out of range: expected \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return number
    }

    public func double(default fallback: Double, in range: ClosedRange<Double>? = nil) -> Double {
        optionalDouble(in: range) ?? fallback
    }

    public func bool(default fallback: Bool) -> Bool {
        guard let value, value != .null else { return fallback }
        switch value {
        case .bool(let flag): return flag
        case .string(let text) where ["true", "false"].contains(text.lowercased()): return text.lowercased() == "true"
        default:
            error("expected true or false, found \(value.kindName)")
            return fallback
        }
    }

    /// A string that must be one of `options` (compared case-insensitively); returns the option as spelled in `options`.
    public func oneOf(_ options: [String], default fallback: String?) -> String? {
        guard let text = optionalString() else { return fallback }
        if let match = options.first(where: { $0.lowercased() == text.lowercased() }) { return match }
        error("'\(text)' is not one of: \(options.joined(separator: ", "))")
        return fallback
    }
}
