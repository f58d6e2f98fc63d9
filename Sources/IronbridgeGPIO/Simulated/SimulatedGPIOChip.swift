import IronbridgeSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A GPIO chip in memory, behaving like a libgpiod chip seen through the same protocols:
/// named lines; inputs whose PHYSICAL level is set from code (`setInputLevel`) or toggled
/// with a period (`startToggling`); edge events with CLOCK_MONOTONIC timestamps through
/// the same blocking wait and a pollable fd; outputs whose driven level reads back
/// (`outputLevel`). Requested lines honour active-low like the kernel.
///
/// Toggling runs on one background thread per chip, started on first use and ended when
/// the chip is deinitialised.
public final class SimulatedGPIOChip: GPIOChipProtocol {
    struct Line {
        var name: String?
        var physicalLevel = false
        var request: GPIOLineRequest?
        var requestID = 0
        var foreignConsumer: String?
        var outputLevel = false  // physical
        var pending: [GPIOEdgeEvent] = []
        var eventPipe: (read: Int32, write: Int32)?
        var toggle: (period: UInt64, nextDue: UInt64)?

        var logicalInput: Bool { physicalLevel != (request?.activeLow ?? false) }
    }

    struct State {
        var lines: [Line]
        var gone = false
        var nextRequestID = 1
        var wakeWrite: Int32 = -1  // the toggler thread's wake pipe, once started
    }

    /// Pending events kept per line before new ones are dropped (the kernel keeps 16-ish).
    static let eventQueueLimit = 1024

    public let name: String
    public let label: String
    public let path: String
    public let lineCount: Int
    let state: Mutex<State>

    /// A chip with these line names (nil or "" for an unnamed line).
    public init(name: String = "gpiochip0", label: String = "ironbridge-simulated", lineNames: [String?]) {
        self.name = name
        self.label = label
        self.path = "/dev/\(name)"
        self.lineCount = lineNames.count
        self.state = Mutex(State(lines: lineNames.map { Line(name: $0.flatMap { $0.isEmpty ? nil : $0 }) }))
    }

    /// A chip of `lineCount` unnamed lines.
    public convenience init(name: String = "gpiochip0", label: String = "ironbridge-simulated", lineCount: Int) {
        self.init(name: name, label: label, lineNames: Array(repeating: nil, count: lineCount))
    }

    /// A chip shaped like a Raspberry Pi 4's: 58 lines named GPIO0...GPIO57, labelled
    /// `pinctrl-bcm2711`.
    public static func raspberryPi(name: String = "gpiochip0") -> SimulatedGPIOChip {
        SimulatedGPIOChip(name: name, label: "pinctrl-bcm2711", lineNames: (0..<58).map { "GPIO\($0)" })
    }

    deinit {
        state.withLock { state in
            for index in state.lines.indices {
                Self.closePipe(&state.lines[index])
            }
            if state.wakeWrite >= 0 {
                close(state.wakeWrite)  // the toggler sees POLLHUP and ends
            }
        }
    }

    public var isGone: Bool { state.withLock { $0.gone } }

    // MARK: - GPIOChipProtocol

    func checkOffset(_ offset: UInt32, _ operation: String, _ state: State) throws(GPIOError) {
        if state.gone {
            throw GPIOError(
                kind: .chipGone, operation: operation, chip: name, line: GPIOLineReference(offset: offset),
                errno: ENODEV)
        }
        guard Int(offset) < state.lines.count else {
            throw GPIOError(
                kind: .lineNotFound, operation: operation, chip: name, line: GPIOLineReference(offset: offset),
                message: "the chip has \(state.lines.count) lines")
        }
    }

    public func lineInfo(offset: UInt32) throws(GPIOError) -> GPIOLineInfo {
        try state.withLock { (state: inout State) throws(GPIOError) -> GPIOLineInfo in
            try checkOffset(offset, "reading info of", state)
            let line = state.lines[Int(offset)]
            let drive: GPIODrive =
                if case .output(_, let drive)? = line.request?.direction { drive } else { .pushPull }
            return GPIOLineInfo(
                offset: offset, name: line.name, consumer: line.request?.consumer ?? line.foreignConsumer,
                isUsed: line.request != nil || line.foreignConsumer != nil,
                direction: line.request?.isOutput == true ? .output : .input,
                activeLow: line.request?.activeLow ?? false, bias: line.request?.bias ?? .asIs, drive: drive)
        }
    }

    public func findLine(named lineName: String) throws(GPIOError) -> UInt32 {
        let found = state.withLock { state in state.lines.firstIndex { $0.name == lineName } }
        guard let found else {
            throw GPIOError(
                kind: .lineNotFound, operation: "finding", chip: name,
                line: GPIOLineReference(offset: nil, name: lineName), message: "no such line name")
        }
        return UInt32(found)
    }

    public func requestLine(offset: UInt32, _ request: GPIOLineRequest) throws(GPIOError) -> any GPIOLineProtocol {
        let (id, lineName, fd) = try state.withLock {
            (state: inout State) throws(GPIOError) -> (Int, String?, Int32?) in
            try checkOffset(offset, "requesting", state)
            let index = Int(offset)
            let lineName = state.lines[index].name
            let reference = GPIOLineReference(offset: offset, name: lineName)
            if state.lines[index].request != nil || state.lines[index].foreignConsumer != nil {
                throw GPIOError(
                    kind: .busy, operation: "requesting", chip: name, line: reference, detail: request.summary,
                    errno: EBUSY)
            }
            var line = state.lines[index]
            if request.edge != .none {
                guard let pipe = Pipe.make() else {
                    throw GPIOError(
                        errno: errno, operation: "requesting", chip: name, line: reference, detail: request.summary)
                }
                line.eventPipe = pipe
            }
            line.request = request
            line.requestID = state.nextRequestID
            state.nextRequestID += 1
            line.pending = []
            if case .output(let initial, _) = request.direction {
                line.outputLevel = initial != request.activeLow
            }
            state.lines[index] = line
            return (line.requestID, lineName, line.eventPipe?.read)
        }
        return SimulatedGPIOLine(
            chip: self, offset: offset, name: lineName, request: request, requestID: id, eventFD: fd)
    }

    // MARK: - Driving the simulation

    /// Sets an input's PHYSICAL level, queueing an edge event (timestamped now, or at
    /// `timestampNanoseconds`) if the line's requester asked for that edge.
    public func setInputLevel(
        offset: UInt32, _ level: Bool, timestampNanoseconds: UInt64? = nil
    ) throws(GPIOError) {
        try state.withLock { (state: inout State) throws(GPIOError) in
            try checkOffset(offset, "driving", state)
            Self.apply(level: level, to: &state.lines[Int(offset)], offset: offset,
                       at: timestampNanoseconds ?? SystemClock.monotonicNanoseconds())
        }
    }

    /// The PHYSICAL level last set on an input line.
    public func inputLevel(offset: UInt32) -> Bool? {
        state.withLock { state in Int(offset) < state.lines.count ? state.lines[Int(offset)].physicalLevel : nil }
    }

    /// The PHYSICAL level an output line drives; nil if the line is not requested as output.
    public func outputLevel(offset: UInt32) -> Bool? {
        state.withLock { state in
            guard Int(offset) < state.lines.count, state.lines[Int(offset)].request?.isOutput == true else {
                return nil
            }
            return state.lines[Int(offset)].outputLevel
        }
    }

    /// Whether a line is held (by a request or a foreign consumer).
    public func isRequested(offset: UInt32) -> Bool {
        state.withLock { state in
            Int(offset) < state.lines.count
                && (state.lines[Int(offset)].request != nil || state.lines[Int(offset)].foreignConsumer != nil)
        }
    }

    /// Makes the line held by another consumer (requests fail with `.busy`); nil frees it.
    public func holdLine(offset: UInt32, consumer: String?) {
        state.withLock { state in
            guard Int(offset) < state.lines.count else { return }
            state.lines[Int(offset)].foreignConsumer = consumer
        }
    }

    /// Makes the chip disappear: every later call fails with `.chipGone`, waiters wake.
    public func disappear() {
        state.withLock { state in
            state.gone = true
            for index in state.lines.indices {
                if let pipe = state.lines[index].eventPipe, pipe.write >= 0 {
                    close(pipe.write)  // waiters see POLLHUP
                    state.lines[index].eventPipe = (pipe.read, -1)
                }
            }
        }
    }

    /// Toggles an input's physical level every `period`, the first toggle one period
    /// from now. Each toggle is an edge at its exact due time.
    public func startToggling(offset: UInt32, period: Duration) throws(GPIOError) {
        let nanoseconds = period.clampedNanoseconds
        guard nanoseconds >= 1_000 else {
            throw GPIOError(
                kind: .invalidArgument, operation: "toggling", chip: name, line: GPIOLineReference(offset: offset),
                message: "period must be at least 1 microsecond")
        }
        let wake = try state.withLock { (state: inout State) throws(GPIOError) -> Int32? in
            try checkOffset(offset, "toggling", state)
            state.lines[Int(offset)].toggle = (nanoseconds, SystemClock.monotonicNanoseconds() + nanoseconds)
            if state.wakeWrite >= 0 { return state.wakeWrite }
            guard let pipe = Pipe.make() else {
                throw GPIOError(errno: errno, operation: "starting the toggler of", chip: name)
            }
            state.wakeWrite = pipe.write
            startToggler(wakeRead: pipe.read)
            return nil
        }
        if let wake { Self.ring(wake) }
    }

    /// Stops toggling a line (its level stays where it is).
    public func stopToggling(offset: UInt32) {
        state.withLock { state in
            guard Int(offset) < state.lines.count else { return }
            state.lines[Int(offset)].toggle = nil
        }
    }

    // MARK: - Internals (state lock held where `inout State`/`inout Line` is passed)

    static func apply(level: Bool, to line: inout Line, offset: UInt32, at timestamp: UInt64) {
        let before = line.logicalInput
        line.physicalLevel = level
        let after = line.logicalInput
        guard before != after, let request = line.request, let pipe = line.eventPipe, pipe.write >= 0 else { return }
        let type: GPIOEdgeEvent.EdgeType = after ? .rising : .falling
        switch (request.edge, type) {
        case (.both, _), (.rising, .rising), (.falling, .falling): break
        default: return
        }
        guard line.pending.count < eventQueueLimit else { return }
        line.pending.append(GPIOEdgeEvent(type: type, timestampNanoseconds: timestamp, offset: offset))
        ring(pipe.write)
    }

    static func ring(_ fd: Int32) {
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)
    }

    static func closePipe(_ line: inout Line) {
        if let pipe = line.eventPipe {
            close(pipe.read)
            if pipe.write >= 0 { close(pipe.write) }
        }
        line.eventPipe = nil
    }

    /// Fires the toggles due now; returns nanoseconds until the next one, if any.
    func fireDueToggles() -> UInt64? {
        state.withLock { state in
            let now = SystemClock.monotonicNanoseconds()
            var next: UInt64?
            for index in state.lines.indices {
                guard var toggle = state.lines[index].toggle else { continue }
                var fired = 0
                while toggle.nextDue <= now && fired < 64 {
                    let level = !state.lines[index].physicalLevel
                    Self.apply(level: level, to: &state.lines[index], offset: UInt32(index), at: toggle.nextDue)
                    toggle.nextDue += toggle.period
                    fired += 1
                }
                if toggle.nextDue <= now { toggle.nextDue = now + toggle.period }  // far behind: skip ahead
                state.lines[index].toggle = toggle
                next = min(next ?? .max, toggle.nextDue - now)
            }
            return next
        }
    }

    private func startToggler(wakeRead: Int32) {
        // The thread holds the chip weakly: it ends once the chip is deinitialised
        // (deinit closes the wake pipe's write end, which wakes it with POLLHUP).
        let thread = SystemThread { [weak self] in
            defer { close(wakeRead) }
            while true {
                guard let delay = self?.fireDueToggles() as UInt64?? else { return }
                let (ready, revents) = Pipe.poll(wakeRead, nanoseconds: delay ?? 1_000_000_000)
                if ready > 0 {
                    if revents & Int16(POLLIN) == 0 { return }  // POLLHUP: chip gone
                    var buffer = [UInt8](repeating: 0, count: 64)
                    while read(wakeRead, &buffer, buffer.count) > 0 {}
                }
            }
        }
        thread.name = "ironbridge-gpio-sim-\(name)"
        thread.start()
    }
}
