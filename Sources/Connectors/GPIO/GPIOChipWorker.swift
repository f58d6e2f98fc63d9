import Foundation
import IronbridgeCore
import IronbridgeGPIO
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One chip and the configured lines on it (of one or more devices), served by one dedicated
/// thread: it opens the chip, requests the lines, waits for edge events with poll() over the
/// lines' event fds (100 ms at most per wait, so a stop is seen promptly), debounces, reports
/// periodically, notices a chip that went away and opens it again every `retryPeriodMs`.
/// On stop it drives outputs to their safe state and releases every line.
///
/// RPC handlers use `line(for:)` from any task; the line objects are thread-safe, and only
/// this worker's thread releases them.
final class GPIOChipWorker: Sendable {
    /// A configured line and the device it belongs to.
    struct Slot: Sendable {
        var device: String
        var line: GPIOConnectorConfiguration.Line
        var consumer: String
        var reportPeriodMs: Int
    }

    /// What RPC handlers see of the hardware.
    private struct Shared {
        var chip: (any GPIOChipProtocol)?
        var chipName: String?
        var handles: [(any GPIOLineProtocol)?]
        var offsets: [UInt32?]
        /// Why a line is not held (busy, not found, chip missing).
        var problems: [String?]
        /// Set by an RPC whose call failed with the chip unavailable: the thread checks at once.
        var suspect = false
        var finished = false
        var finishWaiter: CheckedContinuation<Void, Never>?
    }

    let chipText: String
    let backend: any GPIOBackend
    let slots: [Slot]
    let deviceNames: [String]
    let retryNanoseconds: UInt64
    private let queue: GPIOEventQueue
    private let logger: Logger
    private let shared: Mutex<Shared>
    private let stopRequested = Atomic<Bool>(false)

    /// Longest single wait, so that a stop takes effect within it.
    static let tickNanoseconds: UInt64 = 100_000_000
    /// How often an open chip is checked when no event fd would tell us it went away.
    static let healthCheckNanoseconds: UInt64 = 1_000_000_000

    init(chip: String, backend: any GPIOBackend, slots: [Slot], retryPeriodMs: Int, queue: GPIOEventQueue, logger: Logger) {
        self.chipText = chip
        self.backend = backend
        self.slots = slots
        var names: [String] = []
        for slot in slots where !names.contains(slot.device) { names.append(slot.device) }
        self.deviceNames = names
        self.retryNanoseconds = UInt64(retryPeriodMs) * 1_000_000
        self.queue = queue
        self.logger = logger
        self.shared = Mutex(Shared(
            handles: Array(repeating: nil, count: slots.count),
            offsets: slots.map(\.line.pin),
            problems: Array(repeating: "the chip \(chip) has not been opened yet", count: slots.count)))
    }

    // MARK: - Use from RPC handlers

    /// The held line of a slot, or why there is none.
    func line(for slot: Int) -> Result<any GPIOLineProtocol, LineUnavailable> {
        shared.withLock { shared in
            if let handle = shared.handles[slot] { return .success(handle) }
            return .failure(LineUnavailable(reason: shared.problems[slot] ?? "the line is not available"))
        }
    }

    struct LineUnavailable: Error { var reason: String }

    /// The line's offset on the chip: configured, or found by name once the chip was open.
    func offset(of slot: Int) -> UInt32? { shared.withLock { $0.offsets[slot] } }

    /// Whether the chip is open now.
    var isChipOpen: Bool { shared.withLock { $0.chip != nil } }

    /// An RPC saw this error: if the chip is gone, the thread notices at its next tick.
    func noteFailure(_ error: GPIOError) {
        if error.isChipUnavailable { shared.withLock { $0.suspect = true } }
    }

    /// The events that report a line's level (telemetry and/or attributes, as configured).
    func reportEvents(slot index: Int, level: Bool, timestamp: Int64?) -> [GPIOConnectorEvent] {
        let slot = slots[index]
        let point = DataPoint(slot.line.key, .int(level ? 1 : 0))
        var events: [GPIOConnectorEvent] = []
        if slot.line.reportAs.telemetry {
            events.append(.telemetry(TelemetryRecord(device: slot.device, timestamp: timestamp, values: [point])))
        }
        if slot.line.reportAs.attributes { events.append(.attributes(device: slot.device, values: [point])) }
        return events
    }

    // MARK: - The thread

    func start() {
        let thread = Thread { [self] in
            loop()
            finish()
        }
        thread.name = "ironbridge-gpio-\(chipText)"
        thread.start()
    }

    func stop() { stopRequested.store(true, ordering: .releasing) }

    /// Returns once the thread has released everything (within a tick after `stop()`).
    func waitUntilFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = shared.withLock { shared in
                if shared.finished { return true }
                shared.finishWaiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    private var stopping: Bool { stopRequested.load(ordering: .acquiring) }

    /// State owned by the thread alone.
    private struct Local {
        var debouncers: [Debouncer]
        var nextReport: [UInt64?]
        var nextOpen: UInt64 = 0
        var nextLineRetry: UInt64 = 0
        var nextHealthCheck: UInt64 = 0
        var lastLoggedProblem: [String?]
        var lastChipProblem: String?
        var simulationStarted: [Bool]
    }

    private func loop() {
        var local = Local(
            debouncers: slots.map { slot in
                if case .input(let edge, let debounceMs, _) = slot.line.direction {
                    return Debouncer(periodMs: debounceMs, tracksLevel: edge == .both)
                }
                return Debouncer(periodMs: 0, tracksLevel: false)
            },
            nextReport: Array(repeating: nil, count: slots.count),
            lastLoggedProblem: Array(repeating: nil, count: slots.count),
            simulationStarted: Array(repeating: false, count: slots.count))
        while !stopping {
            let now = EdgeTimestamp.monotonicNanoseconds()
            guard let chip = shared.withLock({ $0.chip }) else {
                if now >= local.nextOpen {
                    open(&local)
                    local.nextOpen = EdgeTimestamp.monotonicNanoseconds() + retryNanoseconds
                } else {
                    sleep(nanoseconds: min(Self.tickNanoseconds, local.nextOpen - now))
                }
                continue
            }
            do {
                try serve(chip, &local, now: now)
            } catch {
                chipLost(error, &local)
            }
        }
    }

    /// One round with the chip open: retry failed lines, wait for events, settle, report, check.
    private func serve(_ chip: any GPIOChipProtocol, _ local: inout Local, now: UInt64) throws(GPIOError) {
        if now >= local.nextLineRetry {
            local.nextLineRetry = now + retryNanoseconds
            let missing = shared.withLock { shared in slots.indices.filter { shared.handles[$0] == nil } }
            var events: [GPIOConnectorEvent] = []
            for index in missing {
                if try request(index, on: chip, &local), let level = try readLevel(index) {
                    local.debouncers[index].observe(level: level)
                    events += reportEvents(slot: index, level: level, timestamp: EdgeTimestamp.nowMilliseconds())
                }
            }
            queue.push(events)
        }

        // Wait for edges, at most until the next settle, report or tick.
        let watched: [(slot: Int, fd: Int32)] = shared.withLock { shared in
            slots.indices.compactMap { index in shared.handles[index]?.eventFileDescriptor.map { (index, $0) } }
        }
        var deadline = now + Self.tickNanoseconds
        for debouncer in local.debouncers { if let settle = debouncer.deadline { deadline = min(deadline, settle) } }
        for next in local.nextReport { if let next { deadline = min(deadline, next) } }
        let waitNanoseconds = deadline > now ? deadline - now : 0
        var fds = watched.map { pollfd(fd: $0.fd, events: Int16(POLLIN | POLLPRI), revents: 0) }
        let ready = poll(&fds, nfds_t(fds.count), Int32((waitNanoseconds + 999_999) / 1_000_000))
        if ready < 0 && errno != EINTR {
            throw GPIOError(errno: errno, operation: "waiting for edge events on", chip: chipText)
        }

        var events: [GPIOConnectorEvent] = []
        let readAt = EdgeTimestamp.monotonicNanoseconds()
        if ready > 0 {
            for (position, entry) in watched.enumerated() where fds[position].revents != 0 {
                guard let handle = shared.withLock({ $0.handles[entry.slot] }) else { continue }
                for event in try handle.readEdgeEvents(maxCount: 64) {
                    let level = event.type == .rising
                    if let report = local.debouncers[entry.slot].edge(level: level, eventTimestamp: event.timestampNanoseconds, now: readAt) {
                        events += reportEvents(slot: entry.slot, level: report.level,
                                               timestamp: EdgeTimestamp.unixMilliseconds(fromEventNanoseconds: report.eventTimestamp))
                    }
                }
            }
        }
        let after = EdgeTimestamp.monotonicNanoseconds()
        for index in slots.indices {
            if let report = local.debouncers[index].settle(now: after) {
                events += reportEvents(slot: index, level: report.level,
                                       timestamp: EdgeTimestamp.unixMilliseconds(fromEventNanoseconds: report.eventTimestamp))
            }
            if let due = local.nextReport[index], after >= due {
                local.nextReport[index] = due + UInt64(slots[index].reportPeriodMs) * 1_000_000
                if local.nextReport[index]! <= after { local.nextReport[index] = after + UInt64(slots[index].reportPeriodMs) * 1_000_000 }
                if let level = try readLevel(index) {
                    local.debouncers[index].observe(level: level)
                    events += reportEvents(slot: index, level: level, timestamp: EdgeTimestamp.nowMilliseconds())
                }
            }
        }
        queue.push(events)

        let suspect = shared.withLock { shared in
            defer { shared.suspect = false }
            return shared.suspect
        }
        if suspect || after >= local.nextHealthCheck {
            local.nextHealthCheck = after + Self.healthCheckNanoseconds
            let probe = shared.withLock { $0.offsets.compactMap { $0 }.first } ?? 0
            _ = try chip.lineInfo(offset: probe)
        }
    }

    /// The line's level, or nil when the line is not held; a vanished chip throws.
    private func readLevel(_ index: Int) throws(GPIOError) -> Bool? {
        guard let handle = shared.withLock({ $0.handles[index] }) else { return nil }
        do {
            return try handle.value()
        } catch {
            if error.isChipUnavailable { throw error }
            logger.warning("device '\(slots[index].device)': reading line \(slots[index].line.label) on \(chipText) failed: \(error)")
            queue.push(.error)
            return nil
        }
    }

    /// Opens the chip, requests every line, announces the devices and reports the levels.
    private func open(_ local: inout Local) {
        let chip: any GPIOChipProtocol
        do {
            chip = try backend.openChip(GPIOChipIdentifier(parsing: chipText))
        } catch {
            let problem = "the chip \(chipText) is not available: \(error)"
            shared.withLock { shared in
                for index in slots.indices { shared.problems[index] = problem }
            }
            if local.lastChipProblem != problem {
                logger.error("\(problem) (devices \(deviceList)); retrying every \(retryNanoseconds / 1_000_000) ms")
                queue.push(.error)
                queue.push(deviceNames.map { .disconnected(device: $0) })
            }
            local.lastChipProblem = problem
            return
        }
        shared.withLock { shared in
            shared.chip = chip
            shared.chipName = chip.name
        }
        logger.info("opened GPIO chip \(chip.name) (\(chip.label), \(chip.lineCount) lines) through \(backend.name) for \(deviceList)")
        local.lastChipProblem = nil
        var events: [GPIOConnectorEvent] = deviceNames.map { .connected(device: $0) }
        do {
            for index in slots.indices {
                try request(index, on: chip, &local)
            }
            let stamp = EdgeTimestamp.nowMilliseconds()
            let now = EdgeTimestamp.monotonicNanoseconds()
            for index in slots.indices {
                if slots[index].reportPeriodMs > 0 {
                    local.nextReport[index] = now + UInt64(slots[index].reportPeriodMs) * 1_000_000
                }
                guard let level = try readLevel(index) else { continue }
                local.debouncers[index].observe(level: level)
                events += reportEvents(slot: index, level: level, timestamp: stamp)
            }
            local.nextLineRetry = now + retryNanoseconds
            local.nextHealthCheck = now + Self.healthCheckNanoseconds
            queue.push(events)
        } catch {
            chipLost(error, &local)
        }
    }

    /// Requests one line; true if it is held now. Busy or missing lines are recorded and logged
    /// (once per distinct problem); a vanished chip throws.
    @discardableResult
    private func request(_ index: Int, on chip: any GPIOChipProtocol, _ local: inout Local) throws(GPIOError) -> Bool {
        let slot = slots[index]
        do throws(GPIOError) {
            let offset: UInt32
            if let pin = slot.line.pin { offset = pin } else { offset = try chip.findLine(named: slot.line.lineName ?? "") }
            shared.withLock { $0.offsets[index] = offset }
            if !local.simulationStarted[index], let simulated = chip as? SimulatedGPIOChip,
               case .input(_, _, let simulation?) = slot.line.direction {
                try simulated.setInputLevel(offset: offset, simulation.initialLevel)
                if let period = simulation.togglePeriodMs {
                    try simulated.startToggling(offset: offset, period: .milliseconds(period))
                }
                local.simulationStarted[index] = true
            }
            var request = slot.line.request
            request.consumer = slot.consumer
            let handle = try chip.requestLine(offset: offset, request)
            shared.withLock { shared in
                shared.handles[index] = handle
                shared.problems[index] = nil
            }
            if local.lastLoggedProblem[index] != nil {
                logger.info("device '\(slot.device)': line \(slot.line.label) on \(chip.name) is available again")
            }
            local.lastLoggedProblem[index] = nil
            return true
        } catch {
            if error.isChipUnavailable { throw error }
            var problem = "\(error)"
            if error.kind == .busy, let offset = shared.withLock({ $0.offsets[index] }),
               let holder = try? chip.lineInfo(offset: offset).consumer, !holder.isEmpty {
                problem += " (held by '\(holder)')"
            }
            shared.withLock { $0.problems[index] = problem }
            if local.lastLoggedProblem[index] != problem {
                logger.error("device '\(slot.device)': line \(slot.line.label): \(problem); retrying every \(retryNanoseconds / 1_000_000) ms")
                queue.push(.error)
            }
            local.lastLoggedProblem[index] = problem
            return false
        }
    }

    /// The chip went away: release everything, tell the platform, retry later.
    private func chipLost(_ error: GPIOError, _ local: inout Local) {
        let problem = "the chip \(chipText) is not available: \(error)"
        let lines = slots.map { "\($0.line.label)" }.joined(separator: ", ")
        logger.error("GPIO chip \(chipText) failed (lines \(lines) of \(deviceList)): \(error); retrying every \(retryNanoseconds / 1_000_000) ms")
        releaseAll(problem: problem)
        local.lastChipProblem = problem
        local.nextOpen = EdgeTimestamp.monotonicNanoseconds() + retryNanoseconds
        for index in slots.indices { local.nextReport[index] = nil }
        queue.push(.error)
        queue.push(deviceNames.map { .disconnected(device: $0) })
    }

    private func releaseAll(problem: String) {
        let handles = shared.withLock { shared in
            defer {
                shared.handles = Array(repeating: nil, count: slots.count)
                shared.problems = Array(repeating: problem, count: slots.count)
                shared.chip = nil
            }
            return shared.handles
        }
        for handle in handles { handle?.release() }
    }

    /// On stop: outputs to their safe state (reported), every line released.
    private func finish() {
        var events: [GPIOConnectorEvent] = []
        let handles = shared.withLock { $0.handles }
        for (index, handle) in handles.enumerated() {
            guard let handle, case .output(_, let safe?, _) = slots[index].line.direction else { continue }
            do {
                try handle.setValue(safe)
                events += reportEvents(slot: index, level: try handle.value(), timestamp: EdgeTimestamp.nowMilliseconds())
            } catch {
                logger.error("device '\(slots[index].device)': setting line \(slots[index].line.label) to its safe state \(safe ? 1 : 0) failed: \(error)")
                events.append(.error)
            }
        }
        let held = handles.compactMap { $0 }.count
        releaseAll(problem: "the connector has stopped")
        if held > 0 { logger.info("released \(held) line(s) on GPIO chip \(chipText)") }
        queue.push(events)
        let waiter = shared.withLock { shared in
            shared.finished = true
            defer { shared.finishWaiter = nil }
            return shared.finishWaiter
        }
        waiter?.resume()
    }

    private var deviceList: String { deviceNames.map { "'\($0)'" }.joined(separator: ", ") }

    private func sleep(nanoseconds: UInt64) {
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
