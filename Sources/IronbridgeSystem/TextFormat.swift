#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Text formatting without Foundation (which would load ICU for `String(format:)` and dates).
public enum TextFormat {
    /// `value` with exactly `decimals` fractional digits, as printf's "%.Nf" ("2.5" for 2.45 at
    /// one decimal is printf's rounding of the binary value, same as `String(format:)`).
    public static func fixed(_ value: Double, decimals: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = withVaList([Int32(max(0, min(decimals, 17))), value]) { arguments in
            vsnprintf(&buffer, buffer.count, "%.*f", arguments)
        }
        if count >= buffer.count {  // huge magnitudes: room for all integer digits
            buffer = [CChar](repeating: 0, count: Int(count) + 1)
            _ = withVaList([Int32(max(0, min(decimals, 17))), value]) { vsnprintf(&buffer, buffer.count, "%.*f", $0) }
        }
        return String(cString: buffer)
    }

    /// UTC, to the millisecond: "2026-11-24T02:10:03.120Z".
    public static func isoTime(unixMilliseconds milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000)
        let millis = Int(milliseconds - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))"
            + "T\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(millis, 3))Z"
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (Foundation's `.whitespaces`: tab and the
    /// Unicode space separators; line breaks are kept).
    public func trimmingWhitespace() -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
        }
        let scalars = String(self).unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
