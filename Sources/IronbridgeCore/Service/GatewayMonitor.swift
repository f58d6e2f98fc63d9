import Synchronization

/// What `ironbridge status` and systemd's `STATUS=` show about the running gateway, gathered as
/// it happens: per device the time of its last value, its errors and whether it answers; per
/// Modbus line the request round trips; the points read; and the parts feeding the watchdog.
/// Every method is cheap and safe from any thread (the line and chip threads call it).
public final class GatewayMonitor: Sendable {
    public struct DeviceActivity: Sendable, Equatable {
        /// Unix milliseconds of the last telemetry or attributes from the device.
        public var lastValueAtMs: Int64?
        public var values: UInt64 = 0
        public var errors: UInt64 = 0
        /// False after the connector found it unreachable, true once it answers; nil before either.
        public var reachable: Bool?
    }

    public struct LineTiming: Sendable, Equatable {
        public var requests: UInt64 = 0
        public var failures: UInt64 = 0
        /// Round trip of the last successful request, and the slowest and the mean of all of them, ms.
        public var lastMs: Double?
        public var maxMs: Double?
        public var totalMs: Double = 0
        public var meanMs: Double? { requests > failures ? totalMs / Double(requests - failures) : nil }
    }

    public let health = HealthRegistry()
    private let devices = Mutex<[String: DeviceActivity]>([:])
    private let lines = Mutex<[String: LineTiming]>([:])
    private let points = PointRate()

    public init() {}

    // MARK: Reports from connectors

    public func valuesReceived(device: String, points count: Int, atMs: Int64 = UnixTime.nowMilliseconds) {
        devices.withLock { table in
            table[device, default: DeviceActivity()].lastValueAtMs = atMs
            table[device, default: DeviceActivity()].values += 1
        }
        points.add(count)
    }

    public func deviceError(_ device: String) {
        devices.withLock { $0[device, default: DeviceActivity()].errors += 1 }
    }

    public func deviceReachable(_ device: String, _ reachable: Bool) {
        devices.withLock { $0[device, default: DeviceActivity()].reachable = reachable }
    }

    /// One Modbus request on `line` ("127.0.0.1:502", "/dev/ttyUSB0"): its round trip, or a failure.
    public func roundTrip(line: String, milliseconds: Double?) {
        lines.withLock { table in
            var timing = table[line, default: LineTiming()]
            timing.requests += 1
            if let milliseconds {
                timing.lastMs = milliseconds
                timing.maxMs = max(timing.maxMs ?? 0, milliseconds)
                timing.totalMs += milliseconds
            } else {
                timing.failures += 1
            }
            table[line] = timing
        }
    }

    // MARK: Reading

    public func activity(of device: String) -> DeviceActivity? { devices.withLock { $0[device] } }
    public var lineTimings: [String: LineTiming] { lines.withLock { $0 } }
    public var pointsRead: UInt64 { points.total }
    /// Points read per second over about the last ten seconds.
    public func pointsPerSecond(now: ContinuousClock.Instant = .now) -> Double { points.rate(now: now) }
}

/// A total and its rate over a sliding window of about ten seconds, sampled when read.
final class PointRate: Sendable {
    private struct State {
        var total: UInt64 = 0
        var samples: [(at: ContinuousClock.Instant, total: UInt64)] = [(.now, 0)]
    }

    private let state = Mutex(State())
    static let window: Duration = .seconds(10)

    func add(_ count: Int) { state.withLock { $0.total += UInt64(max(count, 0)) } }

    var total: UInt64 { state.withLock { $0.total } }

    func rate(now: ContinuousClock.Instant) -> Double {
        state.withLock { s in
            if let last = s.samples.last, now - last.at >= .seconds(1) { s.samples.append((now, s.total)) }
            while s.samples.count > 2, now - s.samples[1].at >= Self.window { s.samples.removeFirst() }
            guard let first = s.samples.first else { return 0 }
            let elapsed = now - first.at
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return seconds > 0.5 ? Double(s.total - first.total) / seconds : 0
        }
    }
}
