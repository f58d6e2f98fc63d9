import IronbridgeSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A line requested from a `SimulatedGPIOChip`. Same thread rules as `GPIOLineHandle`:
/// `waitForEdgeEvents(timeout:)` BLOCKS (it polls the line's event pipe).
public final class SimulatedGPIOLine: GPIOLineProtocol {
    public let offset: UInt32
    public let name: String?
    public let request: GPIOLineRequest
    public var chipName: String { chip.name }

    private let chip: SimulatedGPIOChip
    private let requestID: Int
    /// The read end of the event pipe (owned by the chip's line state; closed on release).
    private let eventFD: Int32?
    private let lifecycle = Mutex(LineLifecycle())

    init(chip: SimulatedGPIOChip, offset: UInt32, name: String?, request: GPIOLineRequest, requestID: Int, eventFD: Int32?) {
        self.chip = chip
        self.offset = offset
        self.name = name
        self.request = request
        self.requestID = requestID
        self.eventFD = eventFD
    }

    deinit {
        if lifecycle.withLock({ $0.release() }) { free() }
    }

    public var isReleased: Bool { lifecycle.withLock { $0.isReleased } }

    private func error(_ kind: GPIOError.Kind, _ operation: String, errno code: Int32? = nil, _ message: String? = nil) -> GPIOError {
        GPIOError(kind: kind, operation: operation, chip: chip.name, line: reference, errno: code, message: message)
    }

    /// Runs `body` on the chip's state for this line, if still held and the chip is there.
    private func withLine<R>(
        _ operation: String, _ body: (inout SimulatedGPIOChip.Line) throws(GPIOError) -> R
    ) throws(GPIOError) -> R {
        try lifecycle.withLock { (lifecycle: inout LineLifecycle) throws(GPIOError) -> R in
            guard !lifecycle.isReleased else { throw error(.released, operation, "the line was released") }
            return try chip.state.withLock { (state: inout SimulatedGPIOChip.State) throws(GPIOError) -> R in
                guard !state.gone else { throw error(.chipGone, operation, errno: ENODEV) }
                return try body(&state.lines[Int(offset)])
            }
        }
    }

    public func value() throws(GPIOError) -> Bool {
        try withLine("reading value of") { line in
            line.request?.isOutput == true ? line.outputLevel != request.activeLow : line.logicalInput
        }
    }

    public func setValue(_ value: Bool) throws(GPIOError) {
        guard request.isOutput else {
            throw error(.permissionDenied, "writing", errno: EPERM, "the line was requested as input")
        }
        try withLine("writing") { line in line.outputLevel = value != request.activeLow }
    }

    private func requireEdges(_ operation: String) throws(GPIOError) {
        guard request.edge != .none, eventFD != nil else {
            throw error(.notSupported, operation, "the line was requested without edge detection")
        }
    }

    public func waitForEdgeEvents(timeout: Duration) throws(GPIOError) -> Bool {
        let operation = "waiting for edge events on"
        try requireEdges(operation)
        guard lifecycle.withLock({ $0.beginWait() }) else { throw error(.released, operation, "the line was released") }
        defer { if lifecycle.withLock({ $0.endWait() }) { free() } }
        let deadline = SystemClock.monotonicNanoseconds() &+ timeout.clampedNanoseconds
        while true {
            if chip.isGone { throw error(.chipGone, operation, errno: ENODEV) }
            let now = SystemClock.monotonicNanoseconds()
            let (ready, _) = Pipe.poll(eventFD!, nanoseconds: deadline > now ? deadline - now : 0)
            if ready < 0 {
                let code = errno
                if code == EINTR { continue }
                throw error(GPIOError.kind(forErrno: code), operation, errno: code)
            }
            if chip.isGone { throw error(.chipGone, operation, errno: ENODEV) }
            return ready > 0
        }
    }

    public func readEdgeEvents(maxCount: Int = 16) throws(GPIOError) -> [GPIOEdgeEvent] {
        let operation = "reading edge events of"
        try requireEdges(operation)
        precondition(maxCount > 0, "maxCount must be positive")
        return try withLine(operation) { line in
            let count = min(maxCount, line.pending.count)
            let events = Array(line.pending.prefix(count))
            line.pending.removeFirst(count)
            // One doorbell byte was written per queued event.
            var buffer = [UInt8](repeating: 0, count: count)
            if count > 0, let read = line.eventPipe?.read { _ = Glibc.read(read, &buffer, count) }
            return events
        }
    }

    public var eventFileDescriptor: Int32? {
        guard request.edge != .none else { return nil }
        return lifecycle.withLock { $0.isReleased ? nil : eventFD }
    }

    public func release() {
        if lifecycle.withLock({ $0.release() }) { free() }
    }

    /// Frees the line in the chip (closes its event pipe).
    private func free() {
        chip.state.withLock { state in
            let index = Int(offset)
            guard state.lines[index].requestID == requestID, state.lines[index].request != nil else { return }
            SimulatedGPIOChip.closePipe(&state.lines[index])
            state.lines[index].request = nil
            state.lines[index].pending = []
        }
    }
}
