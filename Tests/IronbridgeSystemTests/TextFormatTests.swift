import Foundation
import IronbridgeSystem
import Testing

/// The replacements of Foundation's formatting give what Foundation gave (the tests may use it).
@Suite("IronbridgeSystem text formatting")
struct TextFormatTests {
    @Test("fixed decimals match String(format:)")
    func fixedMatchesPrintf() {
        let values: [Double] = [0, -0.0, 0.05, 0.25, 0.35, 1, 2.45, -2.45, 12.5, 99.95, 1234.5678, 1e15, -1e20, 1.7976931348623157e308, .infinity, -.infinity, .nan]
        for value in values {
            for decimals in [0, 1, 3] {
                #expect(TextFormat.fixed(value, decimals: decimals) == String(format: "%.\(decimals)f", value), "\(value) at \(decimals)")
            }
        }
        #expect(TextFormat.fixed(12.5, decimals: 1) == "12.5")
        #expect(TextFormat.fixed(1.0 / 3, decimals: 1) == "0.3")
    }

    @Test("ISO time matches ISO8601DateFormatter with fractional seconds")
    func isoTime() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for milliseconds: Int64 in [0, 1, 999, 1_000, 1_795_916_203_120, 951_782_400_000, 4_102_444_799_999] {
            #expect(TextFormat.isoTime(unixMilliseconds: milliseconds) == formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)),
                    "\(milliseconds)")
        }
        #expect(TextFormat.isoTime(unixMilliseconds: 1_795_916_203_120) == "2026-11-29T01:36:43.120Z")
    }

    @Test("trimmingWhitespace trims what trimmingCharacters(in: .whitespaces) trims")
    func trimming() {
        let samples = ["", " ", "\t", "a", " a ", "\ta b\t", " \u{00A0}x\u{3000} ", "\n a \n", "\r\nb", "  12 ", "é ", "\u{2003}true\u{2003}"]
        for sample in samples {
            #expect(sample.trimmingWhitespace() == sample.trimmingCharacters(in: .whitespaces), "\(sample.debugDescription)")
            #expect(Substring(sample).trimmingWhitespace() == sample.trimmingCharacters(in: .whitespaces), "\(sample.debugDescription)")
        }
    }
}
