import IronbridgeCore
import IronbridgeGPIO
import IronbridgeSystem
import Logging
import Synchronization

/// One chip and the configured lines on it (of one or more devices), served by one dedicated
/// thread: it opens the chip, requests the lines, waits for their edge events through the GPIO
/// wrapper (`GPIOEdgeWait`, 100 ms at most per wait, cut short by `wake`), debounces (in the
/// kernel where the backend can, else in software), counts pulses, returns momentary outputs,
/// reports periodically, notices a chip that went away and opens it again every
/// `retryPeriodMs`. On stop it returns momentary outputs, drives outputs to their safe state
/// and releases every line.
///
/// Index space, from a device's line to the chip: a device's `lines[position]` is this
/// worker's `slots[DeviceEntry.slots[position]]`; a slot's chip offset is its `pin`, or the
/// offset found for its `lineName` once the chip is open (`offset(of:)`); edge events carry
/// chip offsets and are mapped back to slots with `slot(forOffset:)`.
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

    /// What RPC handlers and the thread share.
    struct Shared {
        var chip: (any GPIOChipProtocol)?
        var chipName: String?
        var handles: [(any GPIOLineProtocol)?]
        var offsets: [UInt32?]
        /// The chip's name of each held line (`GPIO23` on a Raspberry Pi), for RPCs that name pins so.
        var chipLineNames: [String?]
        /// Why a line is not held (busy, not found, chip missing).
        var problems: [String?]
        /// Outputs waiting for their shared attribute (`restore`): not requested yet.
        var awaitingRestore: Set<Int>
        /// The restored level of an output, used as its initial value when it is requested.
        var restoredLevels: [Int: Bool] = [:]
        /// Momentary outputs: the level to return to, and when (monotonic ns).
        var pendingReturns: [Int: (level: Bool, due: UInt64)] = [:]
        /// Set by an RPC whose call failed with the chip unavailable: the thread checks at once.
        var suspect = false
        /// Lines to request at once (a restore was resolved).
        var retryNow = false
    }

    /// Set by the thread once it has released everything.
    private let finished = AsyncState(false)

    let chipText: String
    let backend: any GPIOBackend
    let slots: [Slot]
    let deviceNames: [String]
    let retryNanoseconds: UInt64
    let queue: GPIOEventQueue
    let logger: Logger
    let shared: Mutex<Shared>
    private let stopRequested = Atomic<Bool>(false)
    let counts: PulseCountFile
    /// Cuts the thread's wait short: stop, a momentary output, a resolved restore.
    let wake: GPIOWakeSignal?

    /// Longest single wait, so that a stop takes effect within it even without `wake`.
    static let tickNanoseconds: UInt64 = 100_000_000
    /// How often an open chip is checked when no event fd would tell us it went away.
    static let healthCheckNanoseconds: UInt64 = 1_000_000_000

    init(chip: String, backend: any GPIOBackend, slots: [Slot], retryPeriodMs: Int, queue: GPIOEventQueue,
         counts: PulseCountFile, logger: Logger) {
        self.chipText = chip
        self.backend = backend
        self.slots = slots
        var names: [String] = []
        for slot in slots where !names.contains(slot.device) { names.append(slot.device) }
        self.deviceNames = names
        self.retryNanoseconds = UInt64(retryPeriodMs) * 1_000_000
        self.queue = queue
        self.counts = counts
        self.logger = logger
        self.wake = try? GPIOWakeSignal()
        self.shared = Mutex(Shared(
            handles: Array(repeating: nil, count: slots.count),
            offsets: slots.map(\.line.pin), chipLineNames: slots.map(\.line.lineName),
            problems: Array(repeating: "the chip \(chip) has not been opened yet", count: slots.count),
            awaitingRestore: Set(slots.indices.filter { slots[$0].line.restore })))
    }

    // MARK: - Use from RPC handlers and the connector

    /// The held line of a slot, or why there is none.
    func line(for slot: Int) -> Result<any GPIOLineProtocol, LineUnavailable> {
        shared.withLock { shared in
            if let handle = shared.handles[slot] { return .success(handle) }
            if shared.awaitingRestore.contains(slot) {
                return .failure(LineUnavailable(reason: "the line waits for its shared attribute '\(slots[slot].line.key)' (restore)"))
            }
            return .failure(LineUnavailable(reason: shared.problems[slot] ?? "the line is not available"))
        }
    }

    struct LineUnavailable: Error { var reason: String }

    /// The line's offset on the chip: configured, or found by name once the chip was open.
    func offset(of slot: Int) -> UInt32? { shared.withLock { $0.offsets[slot] } }
    func chipLineName(of slot: Int) -> String? { shared.withLock { $0.chipLineNames[slot] } }

    /// Whether the chip is open now.
    var isChipOpen: Bool { shared.withLock { $0.chip != nil } }

    /// An RPC saw this error: if the chip is gone, the thread notices at its next tick.
    func noteFailure(_ error: GPIOError) {
        if error.isChipUnavailable { shared.withLock { $0.suspect = true } }
    }

    /// The shared attribute of a `restore` output arrived (or did not: nil): request the line.
    func resolveRestore(slot: Int, level: Bool?) {
        shared.withLock { shared in
            guard shared.awaitingRestore.remove(slot) != nil else { return }
            if let level { shared.restoredLevels[slot] = level }
            shared.retryNow = true
        }
        wake?.signal()
    }

    /// The events that report a line's level (telemetry and/or attributes, as configured).
    func reportEvents(slot index: Int, level: Bool, timestamp: Int64?) -> [GPIOConnectorEvent] {
        report(slot: index, values: [DataPoint(slots[index].line.key, .int(level ? 1 : 0))], timestamp: timestamp)
    }

    func report(slot index: Int, values: [DataPoint], timestamp: Int64?) -> [GPIOConnectorEvent] {
        let slot = slots[index]
        var events: [GPIOConnectorEvent] = []
        if slot.line.reportAs.telemetry {
            events.append(.telemetry(TelemetryRecord(device: slot.device, timestamp: timestamp, values: values)))
        }
        if slot.line.reportAs.attributes { events.append(.attributes(device: slot.device, values: values)) }
        return events
    }

    // MARK: - The thread

    /// Starts the thread. With a `health` registry it beats a heartbeat every loop turn (at
    /// least every tick), so a call stuck in libgpiod stops the systemd watchdog's pings.
    func start(health: HealthRegistry? = nil) {
        let heartbeat = health?.register("GPIO chip \(chipText)")
        let thread = SystemThread { [self] in
            loop(heartbeat: heartbeat)
            finish()
            heartbeat?.retire()
        }
        thread.name = "ironbridge-gpio-\(chipText)"
        thread.start()
    }

    func stop() {
        stopRequested.store(true, ordering: .releasing)
        wake?.signal()
    }

    /// Returns once the thread has released everything (within a tick after `stop()`).
    func waitUntilFinished() async {
        await finished.waitEvenIfCancelled(until: { $0 })
    }

    private var stopping: Bool { stopRequested.load(ordering: .acquiring) }

    /// Software debounce period of a slot: 0 where the kernel debounces (libgpiod 2.x).
    func softwareDebounceMs(_ slot: Slot) -> Int {
        guard case .input(_, let debounceMs, _) = slot.line.direction, slot.line.pulseCounter == nil else { return 0 }
        return backend.supportsKernelDebounce ? 0 : debounceMs
    }

    /// State owned by the thread alone.
    struct Local {
        var debouncers: [Debouncer]
        var counters: [Int: PulseCounter]
        var nextReport: [UInt64?]
        var nextOpen: UInt64 = 0
        var nextLineRetry: UInt64 = 0
        var nextHealthCheck: UInt64 = 0
        var lastLoggedProblem: [String?]
        var lastChipProblem: String?
    }

    private func loop(heartbeat: Heartbeat?) {
        var counters: [Int: PulseCounter] = [:]
        for (index, slot) in slots.enumerated() {
            guard let counting = slot.line.pulseCounter else { continue }
            counters[index] = PulseCounter(
                minimumWidthMs: counting.minPulseWidthMs, reportPeriodMs: counting.reportPeriodMs,
                count: counts.count(device: slot.device, key: slot.line.key))
        }
        var local = Local(
            debouncers: slots.map { slot in
                let edge = if case .input(let edge, _, _) = slot.line.direction { edge } else { GPIOEdgeDetection.none }
                return Debouncer(periodMs: softwareDebounceMs(slot), tracksLevel: edge == .both)
            },
            counters: counters,
            nextReport: Array(repeating: nil, count: slots.count),
            lastLoggedProblem: Array(repeating: nil, count: slots.count))
        while !stopping {
            heartbeat?.beat()
            let now = EdgeTimestamp.monotonicNanoseconds()
            guard let chip = shared.withLock({ $0.chip }) else {
                if now >= local.nextOpen {
                    open(&local)
                    local.nextOpen = EdgeTimestamp.monotonicNanoseconds() + retryNanoseconds
                } else {
                    idle(nanoseconds: min(Self.tickNanoseconds, local.nextOpen - now))
                }
                continue
            }
            do {
                try serve(chip, &local, now: now)
            } catch {
                chipLost(error, &local)
            }
        }
        saveCounts(&local)
    }

    /// One round with the chip open: retry failed lines, wait for events, settle, report, check.
    private func serve(_ chip: any GPIOChipProtocol, _ local: inout Local, now: UInt64) throws(GPIOError) {
        let retryNow = shared.withLock { shared in
            defer { shared.retryNow = false }
            return shared.retryNow
        }
        if now >= local.nextLineRetry || retryNow {
            if now >= local.nextLineRetry { local.nextLineRetry = now + retryNanoseconds }
            let missing = shared.withLock { shared in slots.indices.filter { shared.handles[$0] == nil } }
            var events: [GPIOConnectorEvent] = []
            for index in missing {
                if try request(index, on: chip, &local), let level = try readLevel(index) {
                    events += observe(index, level: level, &local, timestamp: EdgeTimestamp.nowMilliseconds())
                }
            }
            queue.push(events)
        }

        // Wait for edges, at most until the next settle, report, return or tick.
        var deadline = now + Self.tickNanoseconds
        for debouncer in local.debouncers { if let settle = debouncer.deadline { deadline = min(deadline, settle) } }
        for next in local.nextReport { if let next { deadline = min(deadline, next) } }
        let (lines, returns) = shared.withLock { shared in
            (shared.handles.compactMap { $0 }, shared.pendingReturns.values.map(\.due))
        }
        for due in returns { deadline = min(deadline, due) }
        let waitNanoseconds = deadline > now ? deadline - now : 0
        let outcome = try GPIOEdgeWait.wait(on: lines, wake: wake, timeout: .nanoseconds(Int64(waitNanoseconds)))

        var events: [GPIOConnectorEvent] = []
        let readAt = EdgeTimestamp.monotonicNanoseconds()
        let slotByOffset = self.slotByOffset()
        for event in outcome.events {
            guard let index = slotByOffset[event.offset] else { continue }
            let level = event.type == .rising
            if local.counters[index] != nil {
                local.counters[index]!.edge(rising: level, timestamp: event.timestampNanoseconds)
            } else if let report = local.debouncers[index].edge(level: level, eventTimestamp: event.timestampNanoseconds, now: readAt) {
                events += reportEvents(slot: index, level: report.level,
                                       timestamp: EdgeTimestamp.unixMilliseconds(fromEventNanoseconds: report.eventTimestamp))
            }
        }
        let after = EdgeTimestamp.monotonicNanoseconds()
        events += applyDueReturns(now: after)
        for index in slots.indices {
            if let report = local.debouncers[index].settle(now: after) {
                events += reportEvents(slot: index, level: report.level,
                                       timestamp: EdgeTimestamp.unixMilliseconds(fromEventNanoseconds: report.eventTimestamp))
            }
            if let due = local.nextReport[index], after >= due {
                let period = reportPeriod(index)
                local.nextReport[index] = due + period <= after ? after + period : due + period
                if local.counters[index] != nil {
                    events += counterReport(index, &local, now: after)
                } else if let level = try readLevel(index) {
                    events += observe(index, level: level, &local, timestamp: EdgeTimestamp.nowMilliseconds())
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

    private func slotByOffset() -> [UInt32: Int] {
        shared.withLock { shared in
            var map: [UInt32: Int] = [:]
            for (index, offset) in shared.offsets.enumerated() { if let offset { map[offset] = index } }
            return map
        }
    }

    /// A slot's report period (ns): the pulse counter's, else the device's `reportPeriodMs`.
    func reportPeriod(_ index: Int) -> UInt64 {
        UInt64(slots[index].line.pulseCounter?.reportPeriodMs ?? slots[index].reportPeriodMs) * 1_000_000
    }

    /// A level read directly (start, reopen, periodic report): the debouncer's reference, or
    /// the pulse counter's starting point; the level (or count) is reported.
    func observe(_ index: Int, level: Bool, _ local: inout Local, timestamp: Int64) -> [GPIOConnectorEvent] {
        if local.counters[index] != nil {
            local.counters[index]!.levelObserved(level)
            return counterReport(index, &local, now: EdgeTimestamp.monotonicNanoseconds())
        }
        local.debouncers[index].observe(level: level)
        return reportEvents(slot: index, level: level, timestamp: timestamp)
    }

    /// On stop: momentary outputs back to their level, outputs to their safe state (reported),
    /// every line released.
    private func finish() {
        var events: [GPIOConnectorEvent] = applyDueReturns(now: .max)
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
        finished.withLock { $0 = true }
    }

    var deviceList: String { deviceNames.map { "'\($0)'" }.joined(separator: ", ") }

    /// Waits while the chip is closed: on the wake signal alone, so a stop ends it at once.
    private func idle(nanoseconds: UInt64) {
        _ = try? GPIOEdgeWait.wait(on: [], wake: wake, timeout: .nanoseconds(Int64(nanoseconds)))
    }
}
