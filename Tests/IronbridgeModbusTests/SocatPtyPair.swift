import Foundation

/// Two linked pseudo-terminals made by `socat`, standing in for a serial line.
/// Each pair lives in its own temporary directory; ``stop()`` kills socat and removes it.
final class SocatPtyPair {
    static let executable: String? = ProcessInfo.processInfo.environment["PATH", default: "/usr/bin:/bin"]
        .split(separator: ":").map { "\($0)/socat" }.first { FileManager.default.isExecutableFile(atPath: $0) }

    let directory: URL
    let first: String
    let second: String
    private let process = Process()

    /// Starts socat and waits (at most `timeout`, polling every 10 ms) for both links.
    init(timeout: Duration = .seconds(5)) throws {
        guard let executable = Self.executable else { throw SocatError.notInstalled }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-pty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        first = directory.appendingPathComponent("a").path
        second = directory.appendingPathComponent("b").path
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-d", "-d", "pty,raw,echo=0,link=\(first)", "pty,raw,echo=0,link=\(second)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !(FileManager.default.fileExists(atPath: first) && FileManager.default.fileExists(atPath: second)) {
            guard clock.now < deadline, process.isRunning else {
                stop()
                throw SocatError.linksMissing(directory.path)
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// Kills socat with SIGKILL: it inherits the test thread's signal mask, in which
    /// SIGTERM (what `Process.terminate()` sends) may be blocked.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    enum SocatError: Error { case notInstalled, linksMissing(String) }
}
