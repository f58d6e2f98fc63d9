#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call on a file: what was done, to which path, and errno's text.
public struct SystemFileError: Error, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var code: Int32

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))" }
}

/// Whole-file writes for small state files (in place of FileHandle), EINTR retried.
public enum SystemFile {
    /// Creates or truncates `path` (mode 0644), writes `bytes`, fsyncs and closes it.
    public static func writeSynced(_ bytes: [UInt8], to path: String) throws(SystemFileError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SystemFileError(operation: "open", path: path, code: errno) }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw SystemFileError(operation: "write", path: path, code: written < 0 ? errno : EIO) }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw SystemFileError(operation: "fsync", path: path, code: errno) }
    }

    /// Renames `from` to `to`, replacing `to` atomically if it exists.
    public static func rename(_ from: String, to: String) throws(SystemFileError) {
        #if canImport(Glibc)
        let result = Glibc.rename(from, to)
        #else
        let result = Darwin.rename(from, to)
        #endif
        guard result == 0 else { throw SystemFileError(operation: "rename \(from) to", path: to, code: errno) }
    }
}
