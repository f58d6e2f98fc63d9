import IronbridgeSystem
#if canImport(Glibc)
import Glibc
#endif

/// Waiting for edges on several lines of a chip at once: the one wait the GPIO connector's
/// chip thread makes. The lines' event file descriptors (v1: each line's event fd; v2: each
/// line request's fd; simulated: a pipe) are polled together, then the ready lines' events
/// are read with their own backend (`readEdgeEvents`).
public enum GPIOEdgeWait {
    /// What a wait saw.
    public struct Outcome: Sendable {
        /// Edge events read, per line in the order of `lines`, oldest first within a line.
        public var events: [GPIOEdgeEvent]
        /// True if the wake signal cut the wait short.
        public var woken: Bool
    }

    /// BLOCKS until at least one of `lines` has edge events, `wake` is signalled, or `timeout`
    /// passes, then reads what is pending (up to `maxPerLine` per line). Lines without edge
    /// detection are skipped. A chip that went away throws (kind `.chipGone`).
    ///
    /// Call from a dedicated thread. The lines must stay unreleased during the call (the
    /// caller's thread should be the only one that releases them).
    public static func wait(
        on lines: [any GPIOLineProtocol], wake: GPIOWakeSignal?, timeout: Duration, maxPerLine: Int = 64
    ) throws(GPIOError) -> Outcome {
        var watched: [(line: any GPIOLineProtocol, fd: Int32)] = []
        for line in lines {
            if let fd = line.eventFileDescriptor { watched.append((line, fd)) }
        }
        var fds = watched.map { pollfd(fd: $0.fd, events: Int16(POLLIN | POLLPRI), revents: 0) }
        if let wake { fds.append(pollfd(fd: wake.fd, events: Int16(POLLIN), revents: 0)) }

        let deadline = SystemClock.monotonicNanoseconds() &+ timeout.clampedNanoseconds
        var ready: Int32 = 0
        while true {
            let now = SystemClock.monotonicNanoseconds()
            let remaining = deadline > now ? deadline - now : 0
            let milliseconds = Int32(clamping: (remaining + 999_999) / 1_000_000)
            let result = SystemCall.status(retryingEINTR: false) {
                fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), milliseconds) }
            }
            switch result {
            case .success(let count): ready = count
            case .failure(let error) where error.code == EINTR: continue
            case .failure(let error):
                throw GPIOError(
                    errno: error.code, operation: "waiting for edge events on",
                    chip: lines.first?.chipName, detail: "(\(watched.count) lines)")
            }
            break
        }

        var outcome = Outcome(events: [], woken: false)
        guard ready > 0 else { return outcome }
        if let wake, let last = fds.last, last.revents != 0 {
            outcome.woken = wake.consume()
        }
        for (index, entry) in watched.enumerated() where fds[index].revents != 0 {
            if fds[index].revents & Int16(POLLNVAL) != 0 {
                throw GPIOError(
                    kind: .released, operation: "waiting for edge events on", chip: entry.line.chipName,
                    line: entry.line.reference, message: "the line's event descriptor was closed during the wait")
            }
            outcome.events += try entry.line.readEdgeEvents(maxCount: maxPerLine)
        }
        return outcome
    }
}
