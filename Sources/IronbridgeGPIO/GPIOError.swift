#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A line as named in errors: its offset, and its name when known.
public struct GPIOLineReference: Sendable, Hashable, CustomStringConvertible {
    public var offset: UInt32?
    public var name: String?

    public init(offset: UInt32?, name: String? = nil) {
        self.offset = offset
        self.name = name.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `17 (GPIO17)`, `17`, or `GPIO17`.
    public var description: String {
        switch (offset, name) {
        case let (offset?, name?): "\(offset) (\(name))"
        case let (offset?, nil): "\(offset)"
        case let (nil, name?): name
        case (nil, nil): "?"
        }
    }
}

/// Every failure of the GPIO layer: what was done, to which chip and line, and why.
///
/// `description` reads like
/// `requesting line 17 (GPIO17) on gpiochip0 as input failed: Device or resource busy (errno 16)`.
public struct GPIOError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for callers that react differently (retry later, report, give up).
    public enum Kind: Sendable, Hashable {
        /// The line is held by another consumer (EBUSY).
        case busy
        /// No chip with that name, path, number or label exists (ENOENT when opening).
        case chipNotFound
        /// The chip went away while open, e.g. unplugged or driver unbound (ENODEV).
        case chipGone
        /// No line with that offset or name on the chip.
        case lineNotFound
        /// EACCES/EPERM: no access to the chip, or an operation the request does not
        /// allow (writing an input line).
        case permissionDenied
        /// EINVAL: a configuration the kernel or library refused.
        case invalidArgument
        /// The line handle was already released.
        case released
        /// The operation needs a capability the line was not requested with (edge events),
        /// or the backend lacks (EOPNOTSUPP).
        case notSupported
        /// Any other system error; see `errno`.
        case system
    }

    public var kind: Kind
    /// The operation, as a verb phrase: "opening", "requesting", "reading value of".
    public var operation: String
    /// The chip's name or path, or the label asked for.
    public var chip: String?
    /// The line, when the operation was about one.
    public var line: GPIOLineReference?
    /// Extra words after the subject: "as input with both-edge events".
    public var detail: String?
    /// The errno captured right after the failing C call, when there was one.
    public var errno: Int32?
    /// The reason when there is no errno ("no line named LED").
    public var message: String?

    public init(
        kind: Kind, operation: String, chip: String?, line: GPIOLineReference? = nil,
        detail: String? = nil, errno: Int32? = nil, message: String? = nil
    ) {
        self.kind = kind
        self.operation = operation
        self.chip = chip
        self.line = line
        self.detail = detail
        self.errno = errno
        self.message = message
    }

    /// An error from a failed C call, its kind derived from errno.
    public init(
        errno code: Int32, operation: String, chip: String?, line: GPIOLineReference? = nil,
        detail: String? = nil
    ) {
        self.init(
            kind: Self.kind(forErrno: code), operation: operation, chip: chip, line: line,
            detail: detail, errno: code)
    }

    /// EBUSY -> busy, ENODEV/ENXIO -> chipGone, ENOENT -> chipNotFound, EACCES/EPERM ->
    /// permissionDenied, EINVAL -> invalidArgument, EOPNOTSUPP -> notSupported.
    public static func kind(forErrno code: Int32) -> Kind {
        switch code {
        case EBUSY: .busy
        case ENODEV, ENXIO: .chipGone
        case ENOENT: .chipNotFound
        case EACCES, EPERM: .permissionDenied
        case EINVAL: .invalidArgument
        case EOPNOTSUPP: .notSupported
        default: .system
        }
    }

    /// True when the chip is not there (never was, or went away).
    public var isChipUnavailable: Bool { kind == .chipNotFound || kind == .chipGone }

    /// The strerror text and number, e.g. `Device or resource busy (errno 16)`.
    public var reason: String {
        if let errno {
            let text = String(cString: strerror(errno))
            return message.map { "\($0): \(text) (errno \(errno))" } ?? "\(text) (errno \(errno))"
        }
        return message ?? "\(kind)"
    }

    public var description: String {
        var subject: String
        switch (line, chip) {
        case let (line?, chip?): subject = "line \(line) on \(chip)"
        case let (line?, nil): subject = "line \(line)"
        case let (nil, chip?): subject = "chip \(chip)"
        case (nil, nil): subject = "GPIO"
        }
        if let detail { subject += " \(detail)" }
        return "\(operation) \(subject) failed: \(reason)"
    }
}
