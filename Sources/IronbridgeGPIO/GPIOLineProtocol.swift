/// A requested line, held until `release()` or until the last reference goes.
///
/// Thread rules: every method may be called from any thread. `waitForEdgeEvents(timeout:)`
/// BLOCKS its thread for up to `timeout`: call it from a dedicated thread, never from
/// the Swift concurrency pool. `release()` during a wait takes effect when the wait
/// returns (the wait is not cut short), so bound timeouts to what shutdown can afford.
public protocol GPIOLineProtocol: AnyObject, Sendable {
    /// The line's offset on its chip.
    var offset: UInt32 { get }
    /// The line's name, if the chip names it.
    var name: String? { get }
    /// The chip's name, for messages.
    var chipName: String { get }
    /// How the line was requested.
    var request: GPIOLineRequest { get }
    /// True after `release()`.
    var isReleased: Bool { get }

    /// The logical value (active-low applied), for inputs and outputs.
    func value() throws(GPIOError) -> Bool

    /// Drives an output (logical value). Kind `.permissionDenied` on an input.
    func setValue(_ value: Bool) throws(GPIOError)

    /// BLOCKS until an edge event is pending or `timeout` passes; true if one is pending.
    /// Only for inputs requested with edge detection (else kind `.notSupported`).
    func waitForEdgeEvents(timeout: Duration) throws(GPIOError) -> Bool

    /// Reads up to `maxCount` pending edge events, oldest first, without blocking:
    /// empty when none is pending.
    func readEdgeEvents(maxCount: Int) throws(GPIOError) -> [GPIOEdgeEvent]

    /// A file descriptor that polls readable (POLLIN) while edge events are pending, for
    /// callers that poll() several lines at once and then call `readEdgeEvents`.
    /// nil for lines without edge detection or after release. Owned by the line: do not
    /// close it, and do not use it after `release()`.
    var eventFileDescriptor: Int32? { get }

    /// Gives the line back to the kernel. Idempotent; later calls on the line throw
    /// kind `.released`.
    func release()
}

extension GPIOLineProtocol {
    /// BLOCKS up to `timeout` for edge events and returns those pending (maybe none).
    public func nextEdgeEvents(timeout: Duration, maxCount: Int = 16) throws(GPIOError) -> [GPIOEdgeEvent] {
        guard try waitForEdgeEvents(timeout: timeout) else { return [] }
        return try readEdgeEvents(maxCount: maxCount)
    }

    /// Describes the line for messages: `line 17 (GPIO17) on gpiochip0`.
    public var reference: GPIOLineReference { GPIOLineReference(offset: offset, name: name) }
}
