#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits until a descriptor is ready, up to a deadline: the poll(2) loop of our own framings
/// (ASCII on a serial port, Modbus TCP over TLS), retried on EINTR.
enum DescriptorWait {
    /// What an error or hang-up on the descriptor means to the caller.
    enum OnHangup {
        /// The link is gone: `.connectionReset`.
        case fail
        /// Ready: the caller's next read or write reports it (OpenSSL reads the alert or end of stream itself).
        case ready
    }

    /// True once `fd` is ready for `events`; false at the deadline.
    static func ready(_ fd: Int32, for events: Int32, until deadline: ContinuousClock.Instant,
                      onHangup: OnHangup) throws(ModbusError.Cause) -> Bool {
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var entry = pollfd(fd: fd, events: Int16(events), revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw ModbusError.Cause(errno: errno)
            }
            if ready > 0 {
                if entry.revents & Int16(events) != 0 { return true }
                if entry.revents & Int16(POLLNVAL) != 0 { throw .connectionReset }
                if entry.revents & Int16(POLLERR | POLLHUP) != 0 {
                    if onHangup == .ready { return true }
                    throw .connectionReset
                }
            }
        }
    }
}
