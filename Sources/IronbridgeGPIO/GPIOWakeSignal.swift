#if canImport(Glibc)
import Glibc
#endif

/// Cuts a `GPIOEdgeWait` short from another thread: a stop, or new work for the waiting
/// thread (a momentary output's return time). Owns one non-blocking pipe, closed in `deinit`.
///
/// Thread rules: `signal()` from any thread; the waiter consumes the signal.
public final class GPIOWakeSignal: Sendable {
    /// The pipe's ends; immutable, closed only in deinit.
    let fd: Int32
    private let writeFD: Int32

    /// Throws kind `.system` if no pipe can be made (out of file descriptors).
    public init() throws(GPIOError) {
        guard let pipe = Pipe.make() else {
            throw GPIOError(errno: errno, operation: "creating a wake-up pipe for", chip: nil)
        }
        fd = pipe.read
        writeFD = pipe.write
    }

    deinit {
        close(fd)
        close(writeFD)
    }

    /// Wakes the current (or the next) wait. A full pipe already holds a wake-up: nothing lost.
    public func signal() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    /// Consumes pending signals; true if there was one.
    func consume() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64)
        var any = false
        for _ in 0..<16 {
            guard read(fd, &buffer, buffer.count) > 0 else { break }
            any = true
        }
        return any
    }
}
