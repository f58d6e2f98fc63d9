#if !LIBGPIOD_V2
import CGPIOD
import IronbridgeSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A line requested through libgpiod v1; released by `release()` or in `deinit`
/// (`gpiod_line_release`).
///
/// Thread rules: all methods may be called from any thread. Short calls
/// (`gpiod_line_get_value`, `gpiod_line_set_value`, `gpiod_line_event_read_multiple`) run
/// under the handle's lock. `waitForEdgeEvents(timeout:)` runs `gpiod_line_event_wait`
/// WITHOUT the lock and BLOCKS its thread: run it on a dedicated thread. A `release()`
/// that arrives during a wait is carried out when the wait returns.
public final class GPIOLineHandle: GPIOLineProtocol, @unchecked Sendable {
    // @unchecked Sendable: `line` points into `chip`'s C object, which `chip` (held
    // strongly here) keeps alive. It is used under `state`'s lock, except by
    // `gpiod_line_event_wait`, which only polls the line's event fd; `LineLifecycle`
    // defers the release (which closes that fd) until no wait is in progress. All other
    // stored properties are immutable values.
    private let chip: GPIOChip
    private let line: OpaquePointer
    private let state = Mutex(LineLifecycle())

    public let offset: UInt32
    public let name: String?
    public let request: GPIOLineRequest
    public var chipName: String { chip.name }

    init(chip: GPIOChip, line: OpaquePointer, offset: UInt32, name: String?, request: GPIOLineRequest) {
        self.chip = chip
        self.line = line
        self.offset = offset
        self.name = name
        self.request = request
    }

    deinit {
        // No wait can be in progress: a waiter holds a reference.
        if state.withLock({ $0.release() }) {
            gpiod_line_release(line)
        }
    }

    public var isReleased: Bool { state.withLock { $0.isReleased } }

    private func error(_ operation: String, _ code: Int32) -> GPIOError {
        GPIOError(errno: code, operation: operation, chip: chip.name, line: reference)
    }

    private func error(_ kind: GPIOError.Kind, _ operation: String, _ message: String) -> GPIOError {
        GPIOError(kind: kind, operation: operation, chip: chip.name, line: reference, message: message)
    }

    /// Runs `body` under the lock if the line is still held.
    private func withLine<R>(
        _ operation: String, _ body: (OpaquePointer) throws(GPIOError) -> R
    ) throws(GPIOError) -> R {
        try state.withLock { (lifecycle: inout LineLifecycle) throws(GPIOError) -> R in
            guard !lifecycle.isReleased else {
                throw error(.released, operation, "the line was released")
            }
            return try body(line)
        }
    }

    /// `gpiod_line_get_value`: the logical value.
    public func value() throws(GPIOError) -> Bool {
        try withLine("reading value of") { line throws(GPIOError) -> Bool in
            switch SystemCall.status({ gpiod_line_get_value(line) }) {
            case .success(let value): return value != 0
            case .failure(let failure): throw error("reading value of", failure.code)
            }
        }
    }

    /// `gpiod_line_set_value`: drives a logical value on an output.
    public func setValue(_ value: Bool) throws(GPIOError) {
        guard request.isOutput else {
            throw error(.permissionDenied, "writing", "the line was requested as input")
        }
        try withLine("writing") { line throws(GPIOError) in
            if case .failure(let failure) = SystemCall.status({ gpiod_line_set_value(line, value ? 1 : 0) }) {
                throw error("writing", failure.code)
            }
        }
    }

    private func requireEdges(_ operation: String) throws(GPIOError) {
        guard request.edge != .none else {
            throw error(.notSupported, operation, "the line was requested without edge detection")
        }
    }

    /// `gpiod_line_event_wait`. BLOCKS for up to `timeout` (EINTR is retried with the
    /// time left); true when an event is pending.
    public func waitForEdgeEvents(timeout: Duration) throws(GPIOError) -> Bool {
        let operation = "waiting for edge events on"
        try requireEdges(operation)
        guard state.withLock({ $0.beginWait() }) else {
            throw error(.released, operation, "the line was released")
        }
        defer {
            if state.withLock({ $0.endWait() }) {
                gpiod_line_release(line)
            }
        }
        let deadline = SystemClock.monotonicNanoseconds() &+ timeout.clampedNanoseconds
        while true {
            let now = SystemClock.monotonicNanoseconds()
            var remaining = Glibc.timespec(nanoseconds: deadline > now ? deadline - now : 0)
            let result = SystemCall.status(retryingEINTR: false) { gpiod_line_event_wait(line, &remaining) }
            switch result {
            case .success(let ready): return ready > 0
            case .failure(let failure) where failure.code == EINTR: continue
            case .failure(let failure): throw error(operation, failure.code)
            }
        }
    }

    /// `gpiod_line_event_read_multiple` after a zero-timeout `gpiod_line_event_wait`, so
    /// it never blocks.
    public func readEdgeEvents(maxCount: Int = 16) throws(GPIOError) -> [GPIOEdgeEvent] {
        let operation = "reading edge events of"
        try requireEdges(operation)
        precondition(maxCount > 0, "maxCount must be positive")
        return try withLine(operation) { line throws(GPIOError) -> [GPIOEdgeEvent] in
            var zero = timespec()
            switch SystemCall.status({ gpiod_line_event_wait(line, &zero) }) {
            case .success(0): return []
            case .success: break
            case .failure(let failure): throw error(operation, failure.code)
            }
            var buffer = [gpiod_line_event](repeating: gpiod_line_event(), count: maxCount)
            let result = buffer.withUnsafeMutableBufferPointer { events in
                SystemCall.status { gpiod_line_event_read_multiple(line, events.baseAddress, UInt32(maxCount)) }
            }
            switch result {
            case .success(let count):
                return buffer.prefix(Int(count)).map { LibgpiodV1.edgeEvent($0, offset: offset) }
            case .failure(let failure):
                throw error(operation, failure.code)
            }
        }
    }

    /// `gpiod_line_event_read` after a zero-timeout wait: the oldest pending event, or nil.
    public func readEdgeEvent() throws(GPIOError) -> GPIOEdgeEvent? {
        let operation = "reading an edge event of"
        try requireEdges(operation)
        return try withLine(operation) { line throws(GPIOError) -> GPIOEdgeEvent? in
            var zero = timespec()
            switch SystemCall.status({ gpiod_line_event_wait(line, &zero) }) {
            case .success(0): return nil
            case .success: break
            case .failure(let failure): throw error(operation, failure.code)
            }
            var event = gpiod_line_event()
            if case .failure(let failure) = SystemCall.status({ gpiod_line_event_read(line, &event) }) {
                throw error(operation, failure.code)
            }
            return LibgpiodV1.edgeEvent(event, offset: offset)
        }
    }

    /// `gpiod_line_event_get_fd`.
    public var eventFileDescriptor: Int32? {
        guard request.edge != .none else { return nil }
        return state.withLock { lifecycle -> Int32? in
            guard !lifecycle.isReleased else { return nil }
            let fd = gpiod_line_event_get_fd(line)
            return fd >= 0 ? fd : nil
        }
    }

    /// `gpiod_line_release`; deferred to the end of a wait in progress.
    public func release() {
        if state.withLock({ $0.release() }) {
            gpiod_line_release(line)
        }
    }
}
#endif
