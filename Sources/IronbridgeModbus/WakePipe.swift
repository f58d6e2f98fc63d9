#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A self-pipe: a serving thread polls ``readEnd`` beside its sockets; ``wake()`` from
/// any thread makes it readable for good (it is never drained), so every later poll
/// returns at once and the thread can leave its loop.
struct WakePipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    /// `pipe()`; returns nil and leaves `errno` set on failure.
    init?() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Waits up to `timeout` for a wake-up; true if woken. Retries on EINTR.
    func wait(for timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            let milliseconds = max(0, Int32(clamping: remaining.components.seconds * 1000
                + remaining.components.attoseconds / 1_000_000_000_000_000))
            var entry = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let rc = poll(&entry, 1, milliseconds)
            if rc > 0 { return true }
            if rc == 0 && remaining <= .zero { return false }
            if rc == 0 { continue }
            if errno != EINTR { return false }
        }
    }

    func closeBoth() {
        _ = close(readEnd)
        _ = close(writeEnd)
    }
}
