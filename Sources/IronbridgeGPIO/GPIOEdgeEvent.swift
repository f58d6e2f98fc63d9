/// An edge seen on an input line requested with edge detection.
public struct GPIOEdgeEvent: Sendable, Hashable {
    public enum EdgeType: String, Sendable, Hashable {
        /// The logical value went 0 -> 1.
        case rising
        /// The logical value went 1 -> 0.
        case falling
    }

    public var type: EdgeType
    /// When the kernel saw the edge, in nanoseconds of its clock: with libgpiod 2.x the
    /// request's `eventClock` (CLOCK_MONOTONIC unless asked otherwise); with 1.x the kernel's
    /// default, CLOCK_MONOTONIC on Linux 5.7 and later, CLOCK_REALTIME before (passed through
    /// as a `struct timespec`). The simulated backend uses CLOCK_MONOTONIC.
    public var timestampNanoseconds: UInt64
    /// The line's offset on its chip.
    public var offset: UInt32

    public init(type: EdgeType, timestampNanoseconds: UInt64, offset: UInt32) {
        self.type = type
        self.timestampNanoseconds = timestampNanoseconds
        self.offset = offset
    }
}
