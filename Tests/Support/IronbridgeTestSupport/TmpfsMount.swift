import Foundation

/// A small tmpfs mounted on a temporary folder: a real file system that fills up (ENOSPC) or
/// turns read-only (EROFS) when a test says so. Needs root (CI runs as root); `make` returns
/// nil where mounting is not allowed, and the tests that need it are skipped there.
public final class TmpfsMount: Sendable {
    public let path: String

    private init(path: String) { self.path = path }

    public static func make(sizeKiB: Int) -> TmpfsMount? {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-tmpfs-\(UUID().uuidString)").path
        guard (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil,
              run(["-t", "tmpfs", "-o", "size=\(sizeKiB)k", "tmpfs", path]) else { return nil }
        return TmpfsMount(path: path)
    }

    /// Whether this machine lets the tests mount a tmpfs.
    public static let isAvailable: Bool = {
        guard let probe = make(sizeKiB: 64) else { return false }
        probe.unmount()
        return true
    }()

    public func resize(kiB: Int) -> Bool { Self.run(["-o", "remount,size=\(kiB)k", path]) }
    public func makeReadOnly() -> Bool { Self.run(["-o", "remount,ro", path]) }
    public func makeWritable() -> Bool { Self.run(["-o", "remount,rw", path]) }

    public func unmount() {
        _ = Self.run(["-l", path], tool: "/bin/umount")
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func run(_ arguments: [String], tool: String = "/bin/mount") -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
