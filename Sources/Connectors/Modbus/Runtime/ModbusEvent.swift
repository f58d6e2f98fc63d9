import IronbridgeCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a line thread tells the connector's task: data read, and device reachability.
enum ModbusEvent: Sendable {
    /// One poll of one device: values that passed the report filters, stamped at read time.
    case data(device: String, timestampMs: Int64, telemetry: [DataPoint], attributes: [DataPoint])
    case connected(device: String)
    case disconnected(device: String)
    /// A failed request (counted in the gateway's statistics).
    case failure(device: String)
}

/// Monotonic and wall clocks for the line threads.
enum ModbusClock {
    /// Monotonic nanoseconds (never jumps with the wall clock).
    static func nowNs() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Unix time in milliseconds, for telemetry timestamps.
    static func wallMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    static func sleep(ns: UInt64) {
        guard ns > 0 else { return }
        var request = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1, errno == EINTR { request = remaining }
    }
}
