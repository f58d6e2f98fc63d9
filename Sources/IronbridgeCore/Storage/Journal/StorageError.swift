#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file operation of the durable store: what was done, to which file, and errno.
public struct StorageError: Error, CustomStringConvertible, Sendable, Equatable {
    public var operation: String
    public var path: String
    public var errno: Int32

    public var description: String {
        "cannot \(operation) \(path): \(String(cString: strerror(errno)))\(Self.symbol(errno).map { " (\($0))" } ?? "")"
    }

    /// True for the errors that mean "the disk is full or cannot be written": the store keeps
    /// new data in memory and tries the disk again later.
    public var isDiskUnavailable: Bool { [ENOSPC, EDQUOT, EROFS, EACCES, EPERM, EIO, ENOENT].contains(errno) }

    static func symbol(_ code: Int32) -> String? {
        switch code {
        case ENOSPC: "ENOSPC"
        case EDQUOT: "EDQUOT"
        case EROFS: "EROFS"
        case EACCES: "EACCES"
        case EPERM: "EPERM"
        case EIO: "EIO"
        case ENOENT: "ENOENT"
        case EEXIST: "EEXIST"
        case ENOTDIR: "ENOTDIR"
        default: nil
        }
    }
}
