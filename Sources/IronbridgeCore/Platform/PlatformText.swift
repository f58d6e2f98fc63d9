/// Text that came from the platform, made safe to put in a log line or an error reply:
/// control characters are escaped (nobody can forge a log line with a newline) and long
/// text is cut, with a marker saying how much was left out.
public enum PlatformText {
    /// Default length kept of a name, method or value.
    public static let defaultLimit = 200

    public static func clip(_ text: String, limit: Int = defaultLimit) -> String {
        var out = ""
        var kept = 0
        var total = 0
        for scalar in text.unicodeScalars {
            total += 1
            guard kept < limit else { continue }
            kept += 1
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        if total > kept { out += "…(\(total - kept) more characters)" }
        return out
    }

    public static func clip(_ value: JSONValue, limit: Int = defaultLimit) -> String {
        clip(value.jsonString, limit: limit)
    }
}
