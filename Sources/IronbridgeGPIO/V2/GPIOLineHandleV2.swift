#if LIBGPIOD_V2
import CGPIOD
import IronbridgeSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A line requested through libgpiod 2.x: owns one `struct gpiod_line_request *` and its
/// edge event buffer, released by `release()` or in `deinit` (`gpiod_line_request_release`).
///
/// Thread rules as `GPIOLineHandle` (v1): short calls (`gpiod_line_request_get_value`,
/// `..._set_value`, `..._read_edge_events`) run under the handle's lock;
/// `waitForEdgeEvents(timeout:)` runs `gpiod_line_request_wait_edge_events` WITHOUT the lock
/// and BLOCKS its thread. A `release()` that arrives during a wait is carried out when the
/// wait returns.
public final class GPIOLineHandleV2: GPIOLineProtocol, @unchecked Sendable {
    // @unchecked Sendable: `cRequest` and `buffer` are C objects used under `state`'s lock,
    // except by `gpiod_line_request_wait_edge_events`, which only polls the request's fd;
    // `LineLifecycle` defers the release (which closes that fd) until no wait is in
    // progress. All other stored properties are immutable values.
    private let chip: GPIOChipV2
    private let cRequest: OpaquePointer
    private let buffer: OpaquePointer
    private let state = Mutex(LineLifecycle())

    /// Events one read can return.
    static let eventBufferCapacity = 64

    public let offset: UInt32
    public let name: String?
    public let request: GPIOLineRequest
    public var chipName: String { chip.name }

    init(chip: GPIOChipV2, cRequest: OpaquePointer, buffer: OpaquePointer, offset: UInt32, name: String?, request: GPIOLineRequest) {
        self.chip = chip
        self.cRequest = cRequest
        self.buffer = buffer
        self.offset = offset
        self.name = name
        self.request = request
    }

    deinit {
        // No wait can be in progress: a waiter holds a reference.
        if state.withLock({ $0.release() }) { gpiod_line_request_release(cRequest) }
        gpiod_edge_event_buffer_free(buffer)
    }

    public var isReleased: Bool { state.withLock { $0.isReleased } }

    private func error(_ operation: String, _ code: Int32) -> GPIOError {
        GPIOError(errno: code, operation: operation, chip: chip.name, line: reference)
    }

    private func error(_ kind: GPIOError.Kind, _ operation: String, _ message: String) -> GPIOError {
        GPIOError(kind: kind, operation: operation, chip: chip.name, line: reference, message: message)
    }

    /// Runs `body` under the lock if the line is still held.
    private func withRequest<R>(
        _ operation: String, _ body: (OpaquePointer) throws(GPIOError) -> R
    ) throws(GPIOError) -> R {
        try state.withLock { (lifecycle: inout LineLifecycle) throws(GPIOError) -> R in
            guard !lifecycle.isReleased else { throw error(.released, operation, "the line was released") }
            return try body(cRequest)
        }
    }

    /// `gpiod_line_request_get_value`: the logical value.
    public func value() throws(GPIOError) -> Bool {
        try withRequest("reading value of") { handle throws(GPIOError) -> Bool in
            let value = gpiod_line_request_get_value(handle, offset)
            if value == GPIOD_LINE_VALUE_ERROR { throw error("reading value of", errno) }
            return value == GPIOD_LINE_VALUE_ACTIVE
        }
    }

    /// `gpiod_line_request_set_value`: drives a logical value on an output.
    public func setValue(_ value: Bool) throws(GPIOError) {
        guard request.isOutput else {
            throw error(.permissionDenied, "writing", "the line was requested as input")
        }
        try withRequest("writing") { handle throws(GPIOError) in
            let level = value ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE
            if case .failure(let failure) = SystemCall.status({ gpiod_line_request_set_value(handle, offset, level) }) {
                throw error("writing", failure.code)
            }
        }
    }

    private func requireEdges(_ operation: String) throws(GPIOError) {
        guard request.edge != .none else {
            throw error(.notSupported, operation, "the line was requested without edge detection")
        }
    }

    /// `gpiod_line_request_wait_edge_events`. BLOCKS for up to `timeout` (EINTR is retried
    /// with the time left); true when an event is pending.
    public func waitForEdgeEvents(timeout: Duration) throws(GPIOError) -> Bool {
        let operation = "waiting for edge events on"
        try requireEdges(operation)
        guard state.withLock({ $0.beginWait() }) else {
            throw error(.released, operation, "the line was released")
        }
        defer {
            if state.withLock({ $0.endWait() }) { gpiod_line_request_release(cRequest) }
        }
        let deadline = SystemClock.monotonicNanoseconds() &+ timeout.clampedNanoseconds
        while true {
            let now = SystemClock.monotonicNanoseconds()
            let remaining = Int64(clamping: deadline > now ? deadline - now : 0)
            let result = SystemCall.status(retryingEINTR: false) { gpiod_line_request_wait_edge_events(cRequest, remaining) }
            switch result {
            case .success(let ready): return ready > 0
            case .failure(let failure) where failure.code == EINTR: continue
            case .failure(let failure): throw error(operation, failure.code)
            }
        }
    }

    /// `gpiod_line_request_read_edge_events` into the handle's buffer, after a zero-timeout
    /// wait so that it never blocks.
    public func readEdgeEvents(maxCount: Int = 16) throws(GPIOError) -> [GPIOEdgeEvent] {
        let operation = "reading edge events of"
        try requireEdges(operation)
        precondition(maxCount > 0, "maxCount must be positive")
        return try withRequest(operation) { handle throws(GPIOError) -> [GPIOEdgeEvent] in
            switch SystemCall.status({ gpiod_line_request_wait_edge_events(handle, 0) }) {
            case .success(0): return []
            case .success: break
            case .failure(let failure): throw error(operation, failure.code)
            }
            let limit = min(maxCount, Self.eventBufferCapacity)
            switch SystemCall.status({ gpiod_line_request_read_edge_events(handle, buffer, limit) }) {
            case .success(let count):
                return (0..<Int(count)).compactMap { index in
                    gpiod_edge_event_buffer_get_event(buffer, UInt(index)).map(LibgpiodV2.edgeEvent)
                }
            case .failure(let failure):
                throw error(operation, failure.code)
            }
        }
    }

    /// `gpiod_line_request_get_fd`.
    public var eventFileDescriptor: Int32? {
        guard request.edge != .none else { return nil }
        return state.withLock { lifecycle -> Int32? in
            guard !lifecycle.isReleased else { return nil }
            let fd = gpiod_line_request_get_fd(cRequest)
            return fd >= 0 ? fd : nil
        }
    }

    /// `gpiod_line_request_release`; deferred to the end of a wait in progress.
    public func release() {
        if state.withLock({ $0.release() }) { gpiod_line_request_release(cRequest) }
    }
}
#endif
