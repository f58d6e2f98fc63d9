import IronbridgeModbus
import IronbridgeSystem
import Logging
import IronbridgeCore
import Synchronization

/// The dedicated thread of one Modbus line (one TCP host:port or one serial device),
/// shared by every slave on it. It alone owns the line's `ModbusConnection`, so libmodbus
/// is used by one thread, one request at a time, and its blocking calls never run on
/// Swift's cooperative pool.
///
/// It serves two queues: urgent jobs (RPCs, attribute writes), always first and also
/// between the requests of a poll; and the devices' polls, each when due. Results go
/// back to async callers through continuations, and poll results to `output`, called on
/// this thread (the connector hands them to the store from here).
///
/// `@unchecked Sendable`: the mutable members (`urgent`, `stopRequested`, `thread`,
/// `exited`) are only touched while holding `condition`; everything
/// else is immutable and Sendable. The session and pollers live on the thread only.
final class ModbusLineWorker: @unchecked Sendable {
    typealias Job = @Sendable (ModbusLineSession) -> Void
    /// Receives every poll's outcome, on the line thread.
    typealias Output = @Sendable (ModbusEvent) -> Void

    let endpoint: ModbusEndpoint
    let devices: [ModbusDeviceConfig]
    private let startOffsetsMs: [Int]
    private let logger: Logger
    private let condition = ThreadCondition()
    private var urgent: [Job] = []
    private var urgentHead = 0
    private var stopRequested = false
    private var started = false
    private var exited = false
    /// Set once the thread has closed the line (what `stop()` waits for).
    private let closed = AsyncState(false)

    init(endpoint: ModbusEndpoint, devices: [ModbusDeviceConfig], startOffsetsMs: [Int], logger: Logger) {
        self.endpoint = endpoint
        self.devices = devices
        self.startOffsetsMs = startOffsetsMs
        self.logger = logger
    }


    /// Starts the thread (once), which reports every poll to `output`. With a `monitor`, the thread
    /// beats its heartbeat (the systemd watchdog: a request stuck in libmodbus stops the beats) and
    /// reports round trips.
    func start(monitor: GatewayMonitor? = nil, output: @escaping Output) {
        condition.lock()
        defer { condition.unlock() }
        guard !started, !stopRequested else { return }
        started = true
        let heartbeat = monitor?.health.register("Modbus line \(endpoint)")
        let thread = SystemThread { [self] in
            self.main(heartbeat: heartbeat, monitor: monitor, output: output)
            heartbeat?.retire()
        }
        thread.name = "modbus \(endpoint)"
        thread.start()
    }

    /// Stops the thread after its current request and waits for it to close the line.
    func stop() async {
        condition.lock()
        stopRequested = true
        let running = started && !exited
        if !running { exited = true }
        condition.broadcast()
        condition.unlock()
        if running {
            await closed.waitEvenIfCancelled(until: { $0 })
        }
        drainAfterExit()
    }

    /// Runs `body` on the line thread ahead of queued polls and returns its result. When
    /// the calling task is cancelled before the job starts, `cancelled()` is returned
    /// instead and the line is not touched.
    func perform<T: Sendable>(
        _ body: @escaping @Sendable (ModbusLineSession) -> T, cancelled: @escaping @Sendable () -> T
    ) async -> T {
        let flag = Mutex(false)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
                enqueue { session in
                    if flag.withLock({ $0 }) {
                        continuation.resume(returning: cancelled())
                    } else {
                        continuation.resume(returning: body(session))
                    }
                }
            }
        } onCancel: {
            flag.withLock { $0 = true }
        }
    }

    private func enqueue(_ job: @escaping Job) {
        condition.lock()
        if exited {
            condition.unlock()
            job(ModbusLineSession(endpoint: endpoint, logger: logger, shutDown: true))
            return
        }
        urgent.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Takes the next urgent job; call with `condition` held.
    private func dequeueLocked() -> Job? {
        guard urgentHead < urgent.count else { return nil }
        let job = urgent[urgentHead]
        urgentHead += 1
        if urgentHead == urgent.count {
            urgent.removeAll(keepingCapacity: true)
            urgentHead = 0
        }
        return job
    }

    private func nextUrgent() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        return dequeueLocked()
    }

    // MARK: - The thread

    private func main(heartbeat: Heartbeat?, monitor: GatewayMonitor?, output: @escaping Output) {
        let session = ModbusLineSession(endpoint: endpoint, logger: logger)
        session.stopping = { [self] in
            condition.lock()
            defer { condition.unlock() }
            return stopRequested
        }
        var pollers: [ModbusDevicePoller] = []
        let line = endpoint.description
        let roundTrip: ((Double?) -> Void)? = monitor.map { monitor in { monitor.roundTrip(line: line, milliseconds: $0) } }
        for (device, offset) in zip(devices, startOffsetsMs) {
            do {
                pollers.append(try ModbusDevicePoller(config: device, startOffsetMs: offset, logger: logger, roundTrip: roundTrip))
            } catch {
                logger.error("Modbus device '\(device.name)' is not polled: \(error)")
            }
        }
        let emit: (ModbusEvent) -> Void = output
        let runUrgent = {
            heartbeat?.beat()
            while let job = self.nextUrgent() { job(session) }
        }
        while let work = nextWork(pollers, heartbeat: heartbeat) {
            switch work {
            case .job(let job): job(session)
            case .poll(let index):
                if pollers[index].nextDueNs <= SystemClock.monotonicNanoseconds() {
                    pollers[index].poll(session, emit: emit, between: runUrgent)
                } else {
                    pollers[index].reportPeriodically(emit: emit)
                }
            }
        }
        session.shutDown()
        condition.lock()
        exited = true
        condition.unlock()
        closed.withLock { $0 = true }
    }

    private enum Work {
        case job(Job)
        case poll(Int)
    }

    /// Waits for the next urgent job, due poll or due periodic report; nil once stopped. Beats the heartbeat at
    /// least once a second while waiting.
    private func nextWork(_ pollers: [ModbusDevicePoller], heartbeat: Heartbeat?) -> Work? {
        condition.lock()
        defer { condition.unlock() }
        while !stopRequested {
            heartbeat?.beat()
            if let job = dequeueLocked() { return .job(job) }
            guard let due = pollers.indices.min(by: { pollers[$0].nextWakeNs < pollers[$1].nextWakeNs }) else {
                condition.wait(nanoseconds: 1_000_000_000)
                continue
            }
            let now = SystemClock.monotonicNanoseconds()
            let dueNs = pollers[due].nextWakeNs
            if dueNs <= now { return .poll(due) }
            condition.wait(untilNanoseconds: min(dueNs, now + 1_000_000_000))
        }
        return nil
    }

    /// Answers jobs that were queued when the thread stopped (without I/O).
    private func drainAfterExit() {
        let session = ModbusLineSession(endpoint: endpoint, logger: logger, shutDown: true)
        while let job = nextUrgent() { job(session) }
    }
}
