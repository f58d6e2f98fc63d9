import IronbridgeCore
import IronbridgeModbus
import IronbridgeSystem
import Logging

/// Polls one device: runs its coalesced read plan, decodes the keys, applies their report
/// strategies, tracks whether the device is reachable, and decides when it is polled next.
/// Lives on, and is only used by, its line's thread.
///
/// A device that fails `connectAttemptCount` polls in a row with timeouts (or garbled
/// replies) is skipped for `waitAfterFailedAttemptsMs`, so that it cannot stall a shared
/// line for the other slaves; while unreachable its requests are not retried.
final class ModbusDevicePoller {
    let config: ModbusDeviceConfig
    private let plan: ModbusReadPlan
    private let keys: [ModbusKeyConfig]
    private var filters: [ModbusReportFilter]
    private var results: [ModbusReadResult?]
    private(set) var nextDueNs: UInt64
    /// When a key with a report period is next due to be reported from its latest value
    /// (ON_REPORT_PERIOD runs on a timer, not at polls); `UInt64.max` when none is.
    private(set) var nextReportNs = UInt64.max
    /// The earlier of the next poll and the next periodic report.
    var nextWakeNs: UInt64 { min(nextDueNs, nextReportNs) }
    private var reachable: Bool?
    private var consecutiveFailures = 0
    private var lastProblem: String?
    private var keyProblems: [String?]
    private let logger: Logger
    /// Told each request's round trip in ms (nil for a failed request), for `ironbridge status`.
    private let roundTrip: ((Double?) -> Void)?

    init(config: ModbusDeviceConfig, startOffsetMs: Int, logger: Logger, roundTrip: ((Double?) -> Void)? = nil) throws(ModbusPlanError) {
        self.config = config
        self.roundTrip = roundTrip
        self.plan = try config.readPlan()
        self.keys = config.polledKeys
        self.filters = keys.map { ModbusReportFilter(strategy: $0.reportStrategy) }
        self.results = Array(repeating: nil, count: plan.requests.count)
        self.keyProblems = Array(repeating: nil, count: keys.count)
        self.nextDueNs = SystemClock.monotonicNanoseconds() + UInt64(startOffsetMs) * 1_000_000
        self.logger = logger
    }

    /// One poll. `between` runs between two requests, so that urgent jobs (RPCs,
    /// attribute writes) overtake the rest of the poll.
    func poll(_ session: ModbusLineSession, emit: (ModbusEvent) -> Void, between: () -> Void) {
        let scheduledNs = nextDueNs
        guard !plan.requests.isEmpty else {
            if reachable != true { reachable = true; emit(.connected(device: config.name)) }
            nextDueNs = SystemClock.monotonicNanoseconds() + UInt64(config.pollPeriodMs) * 1_000_000
            return
        }
        let retries = reachable == false ? 0 : config.policy.retries
        var failure: ModbusError?
        var exceptions: [String] = []
        for index in plan.requests.indices {
            if index > 0 { between() }
            let request = plan.requests[index]
            let began = SystemClock.monotonicNanoseconds()
            switch session.request(config, retries: retries, { connection throws(ModbusError) in
                try connection.read(request.function, address: request.address, count: request.count)
            }) {
            case .success(let result):
                results[index] = result
                roundTrip?(Double(SystemClock.monotonicNanoseconds() &- began) / 1e6)
            case .failure(let error):
                results[index] = nil
                roundTrip?(nil)
                emit(.failure(device: config.name))
                if error.meansUnreachable {
                    failure = error
                } else {
                    exceptions.append("\(error) (keys \(request.itemIndices.map { keys[$0].tag }.joined(separator: ", ")))")
                }
            }
            if failure != nil { break }
        }
        let timestamp = SystemClock.nowMilliseconds
        if let failure {
            handleFailure(failure, emit: emit)
            return
        }
        reportProblem(exceptions.isEmpty ? nil : exceptions.joined(separator: "; "))
        consecutiveFailures = 0
        if reachable != true {
            reachable = true
            emit(.connected(device: config.name))
        }
        emit(decoded(at: timestamp))
        schedule(after: scheduledNs)
        scheduleReports()
    }

    /// Sends the latest value of every key whose report period has passed, stamped now.
    func reportPeriodically(emit: (ModbusEvent) -> Void) {
        let now = SystemClock.nowMilliseconds
        var telemetry: [DataPoint] = []
        var attributes: [DataPoint] = []
        for index in keys.indices {
            guard let value = filters[index].periodic(nowMs: now) else { continue }
            if keys[index].role == .attribute {
                attributes.append(DataPoint(keys[index].tag, value))
            } else {
                telemetry.append(DataPoint(keys[index].tag, value))
            }
        }
        if !telemetry.isEmpty || !attributes.isEmpty {
            emit(.data(device: config.name, timestampMs: now, telemetry: telemetry, attributes: attributes))
        }
        scheduleReports()
    }

    private func scheduleReports() {
        guard let nextMs = filters.compactMap(\.nextPeriodicMs).min() else {
            nextReportNs = .max
            return
        }
        let waitMs = max(0, nextMs - SystemClock.nowMilliseconds)
        nextReportNs = SystemClock.monotonicNanoseconds() + UInt64(waitMs) * 1_000_000
    }

    private func decoded(at timestamp: Int64) -> ModbusEvent {
        var telemetry: [DataPoint] = []
        var attributes: [DataPoint] = []
        telemetry.reserveCapacity(config.timeseries.count)
        // A result that does not fit its request was already refused by the connection; nothing is sent then.
        try? plan.forEachItem(in: results) { index, raw in
            let key = keys[index]
            let value: JSONValue
            do {
                value = key.applyVariants(try key.codec.decode(raw).json)
                if keyProblems[index] != nil {
                    keyProblems[index] = nil
                    logger.info("Modbus device '\(config.name)': key '\(key.tag)' decodes again")
                }
            } catch {
                let text = "\(error)"
                if keyProblems[index] != text {
                    keyProblems[index] = text
                    logger.warning("Modbus device '\(config.name)': key '\(key.tag)' at \(key.address): \(text)")
                }
                return
            }
            guard filters[index].admit(value, nowMs: timestamp) else { return }
            if key.role == .attribute {
                attributes.append(DataPoint(key.tag, value))
            } else {
                telemetry.append(DataPoint(key.tag, value))
            }
        }
        return .data(device: config.name, timestampMs: timestamp, telemetry: telemetry, attributes: attributes)
    }

    private func handleFailure(_ error: ModbusError, emit: (ModbusEvent) -> Void) {
        reportProblem("\(error)")
        if reachable != false {
            reachable = false
            for index in filters.indices { filters[index].reset() }
            nextReportNs = .max
            emit(.disconnected(device: config.name))
        }
        let now = SystemClock.monotonicNanoseconds()
        let policy = config.policy
        guard error.isRetryable else {
            // The link is down: the line's reconnect policy paces the attempts.
            nextDueNs = now + UInt64(max(config.pollPeriodMs, 10)) * 1_000_000
            return
        }
        consecutiveFailures += 1
        if consecutiveFailures >= policy.connectAttemptCount {
            consecutiveFailures = 0
            logger.warning("Modbus device '\(config.name)': no answer \(policy.connectAttemptCount) times; skipping it for \(policy.waitAfterFailedAttemptsMs) ms")
            nextDueNs = now + UInt64(max(policy.waitAfterFailedAttemptsMs, 10)) * 1_000_000
        } else {
            nextDueNs = now + UInt64(max(config.pollPeriodMs, policy.connectAttemptTimeMs, 10)) * 1_000_000
        }
    }

    /// Logs a changed problem once (not at every poll), and its end.
    private func reportProblem(_ problem: String?) {
        guard problem != lastProblem else { return }
        if let problem {
            logger.warning("Modbus device '\(config.name)': \(problem)")
        } else {
            logger.info("Modbus device '\(config.name)': polling normally again")
        }
        lastProblem = problem
    }

    /// Keeps the cadence (next = scheduled + period); after falling behind by more than
    /// a period, starts afresh from now instead of firing a burst of late polls.
    private func schedule(after scheduledNs: UInt64) {
        let period = UInt64(config.pollPeriodMs) * 1_000_000
        let now = SystemClock.monotonicNanoseconds()
        let next = scheduledNs + period
        nextDueNs = next + period < now ? now + period : max(next, now)
    }
}
