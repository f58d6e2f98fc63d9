import Foundation
import IronbridgeTestSupport
import Testing

/// A closure that is itself the generic value of a lock grows a chain of reabstraction thunks
/// with every access (found in the MQTT heartbeat: CPU and memory grew with uptime). Such
/// closures go in a `ClosureBox`; this keeps the pattern from coming back.
@Suite("no closure as a lock's value")
struct ClosureInLockTests {
    @Test("no Mutex, Locked or AsyncState under Sources/ holds a bare function type")
    func noBareClosureInLocks() throws {
        let sources = repositoryRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        #expect(files.count > 50, "found only \(files.count) Swift files under \(sources.path)")
        // Mutex<() -> Void>, Locked<(@Sendable (Int) -> Void)?>, AsyncState<@Sendable () async -> T>, ...
        let pattern = try Regex(#"(Mutex|Locked|AsyncState)\s*<\s*\(?\s*(@\w+\s+)*\([^()]*\)\s*(async\s+)?(throws\s+)?->"#)
        var offenders: [String] = []
        for file in files {
            let text = try String(contentsOfFile: sources.appendingPathComponent(file).path, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where line.contains(pattern) && !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                offenders.append("Sources/\(file):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(offenders.isEmpty, "wrap the closure in ClosureBox:\n\(offenders.joined(separator: "\n"))")
    }
}
