#if canImport(Glibc)
import Glibc
#endif

/// Pipes: the simulator's event doorbells and wake-ups, and `GPIOWakeSignal`.
enum Pipe {
    /// A pipe with both ends non-blocking and close-on-exec; nil with errno set on failure.
    static func make() -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        return (fds[0], fds[1])
    }

    /// poll() for POLLIN for up to `nanoseconds` (rounded up to whole milliseconds);
    /// returns poll's result and the revents.
    static func poll(_ fd: Int32, nanoseconds: UInt64) -> (result: Int32, revents: Int16) {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: (nanoseconds + 999_999) / 1_000_000)
        let result = Glibc.poll(&pfd, 1, milliseconds)
        return (result, pfd.revents)
    }
}
