/// Fills the placeholders `${deviceName}`, `${key}`, `${value}` and `${ts}` into a rule's
/// `params`, in every string at any depth (object keys stay as written). A string that is
/// exactly one placeholder becomes the value itself, keeping its JSON type (`"${value}"` -> `1`,
/// `"${ts}"` -> a number); inside a longer string the value is written as JSON text (a string
/// without quotes). Unknown `${...}` stay as they are.
public enum MessageTemplate {
    public static let placeholders = ["deviceName", "key", "value", "ts"]

    public static func render(_ template: JSONValue, deviceName: String, key: String, value: JSONValue, ts: Int64) -> JSONValue {
        let values: [String: JSONValue] = ["deviceName": .string(deviceName), "key": .string(key), "value": value, "ts": .int(ts)]
        return render(template, values, depth: 0)
    }

    private static func render(_ template: JSONValue, _ values: [String: JSONValue], depth: Int) -> JSONValue {
        guard depth < 32 else { return template }
        switch template {
        case .string(let text): return renderString(text, values)
        case .array(let items): return .array(items.map { render($0, values, depth: depth + 1) })
        case .object(let members): return .object(members.mapValues { render($0, values, depth: depth + 1) })
        default: return template
        }
    }

    private static func renderString(_ text: String, _ values: [String: JSONValue]) -> JSONValue {
        guard text.contains("${") else { return .string(text) }
        for (name, value) in values where text == "${\(name)}" { return value }
        var result = text
        for (name, value) in values {
            let spelled: String = if case .string(let plain) = value { plain } else { value.jsonString }
            result = result.replacing("${\(name)}", with: spelled)
        }
        return .string(result)
    }

    /// The `${...}` names in `template` that are not placeholders (for config warnings).
    public static func unknownPlaceholders(in template: JSONValue) -> [String] {
        var unknown: [String] = []
        func visit(_ value: JSONValue, depth: Int) {
            guard depth < 32 else { return }
            switch value {
            case .string(let text):
                var rest = Substring(text)
                while let start = rest.firstRange(of: "${") {
                    let after = rest[start.upperBound...]
                    guard let end = after.firstIndex(of: "}") else { break }
                    let name = String(after[..<end])
                    if !placeholders.contains(name) { unknown.append(name) }
                    rest = after[after.index(after: end)...]
                }
            case .array(let items): items.forEach { visit($0, depth: depth + 1) }
            case .object(let members): members.values.forEach { visit($0, depth: depth + 1) }
            default: break
            }
        }
        visit(template, depth: 0)
        return unknown
    }
}
