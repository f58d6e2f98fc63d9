import Foundation
import IronbridgeTestSupport
import Testing

/// The gateway must not load Foundation: libFoundation pulls in FoundationInternationalization
/// and the ICU data library, about 11 MB of an idle gateway's RSS. FoundationEssentials (which
/// swift-argument-parser links anyway) is allowed; Tests/ may use Foundation.
@Suite("no Foundation in the gateway")
struct FoundationFreeTests {
    static let forbiddenLibraries = ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"]

    @Test("no file under Sources/ imports Foundation")
    func sourcesDoNotImportFoundation() throws {
        let sources = repositoryRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(files.count > 50, "found only \(files.count) Swift files under \(sources.path)")
        // `import Foundation`, `@preconcurrency import Foundation`, `import struct Foundation.Date`, ...
        let pattern = try Regex(#"^\s*(@\w+\s+)*import\s+((typealias|struct|class|enum|protocol|let|var|func)\s+)?Foundation(\.|\s|$)"#)
        var offenders: [String] = []
        for file in files {
            let text = try String(contentsOfFile: sources.appendingPathComponent(file).path, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where line.contains(pattern) {
                offenders.append("Sources/\(file):\(number + 1): \(line)")
            }
        }
        #expect(offenders.isEmpty, "import FoundationEssentials or IronbridgeSystem instead:\n\(offenders.joined(separator: "\n"))")
    }

    @Test("the ironbridge binary does not link Foundation or ICU (ldd)", .enabled(if: IronbridgeExecutable.isBuilt, "the ironbridge executable is not built"))
    func binaryDoesNotLinkFoundation() throws {
        let ldd = Process()
        ldd.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
        ldd.arguments = [IronbridgeExecutable.path]
        let output = Pipe()
        ldd.standardOutput = output
        ldd.standardError = output
        try ldd.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ldd.waitUntilExit()
        #expect(ldd.terminationStatus == 0, "ldd \(IronbridgeExecutable.path) failed: \(text)")
        let loaded = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { line in Self.forbiddenLibraries.contains { line.hasPrefix($0 + " ") } }
        #expect(loaded.isEmpty, "\(IronbridgeExecutable.path) links:\n\(loaded.joined(separator: "\n"))")
    }
}
