import FoundationEssentials
import IronbridgeCore
import IronbridgeGPIO
import Logging

/// GPIO lines of one or more chips as ThingsBoard sub-devices (connectors/gpio.json).
///
/// Each chip is served by a `GPIOChipWorker` on its own thread; `run(context:)` passes what
/// the workers report on to the platform and, when cancelled, stops them (outputs go to their
/// safe state, lines are released) before it returns. RPCs (`setGpio`, `getGpio`,
/// `getGpioStatus`, `setGpioStatus`) and shared attribute updates act on the held lines from
/// the caller's task: reading or writing a line is a short ioctl, never a wait.
public final class GPIOConnector: Connector {
    public let name: String
    public let type = "gpio"
    public let configuration: GPIOConnectorConfiguration
    public let devices: [DeviceInfo]
    let workers: [GPIOChipWorker]
    let deviceTable: [String: DeviceEntry]
    let queue = GPIOEventQueue()
    let logger: Logger
    /// The chips of devices with `"backend": "simulated"`, to script inputs from code.
    public let simulatedChips: [SimulatedGPIOChip]
    /// What the simulated inputs do by themselves (`simulate`), started by `run`.
    let simulations: [(chip: SimulatedGPIOChip, line: GPIOConnectorConfiguration.Line, simulation: GPIOConnectorConfiguration.Line.Simulation)]
    /// Pulse counts, kept across restarts.
    let pulseCounts: PulseCountFile

    /// A device's lines: which worker serves them and at which slots.
    struct DeviceEntry: Sendable {
        var config: GPIOConnectorConfiguration.Device
        var worker: GPIOChipWorker
        /// Slot indices in the worker, in the order of the device's `lines`.
        var slots: [Int]
    }

    public static let rpcMethods = ["setGpio", "getGpio", "getGpioStatus", "setGpioStatus"]

    public var messageRules: [MessageRule] { configuration.devices.flatMap { $0.lines.flatMap(\.messages) } }

    /// - Parameters:
    ///   - libgpiod: the backend of devices with `"backend": "libgpiod"`.
    ///   - dataFolder: where pulse counts are kept (`gpio-pulse-counts-<name>.json`); nil: not kept.
    public init(name: String, configuration: GPIOConnectorConfiguration, libgpiod: any GPIOBackend = LibgpiodBackend(),
                dataFolder: URL? = nil, logger: Logger) {
        self.name = name
        self.configuration = configuration
        self.logger = logger
        devices = configuration.devices.map { DeviceInfo(name: $0.name, type: $0.type) }

        // One simulated chip per distinct chip text, big enough for every pin configured on it.
        var simulated: [String: SimulatedGPIOChip] = [:]
        for (index, chipText) in Set(configuration.devices.filter { $0.backend == .simulated }.map(\.chip)).sorted().enumerated() {
            let maxPin = configuration.devices.filter { $0.backend == .simulated && $0.chip == chipText }
                .flatMap(\.lines).compactMap(\.pin).max().map { Int($0) } ?? 0
            let lineCount = max(58, maxPin + 1)
            let names = (0..<lineCount).map { "GPIO\($0)" }
            let chip: SimulatedGPIOChip
            switch GPIOChipIdentifier(parsing: chipText) {
            case .name(let chipName): chip = SimulatedGPIOChip(name: chipName, lineNames: names)
            case .number(let number): chip = SimulatedGPIOChip(name: "gpiochip\(number)", lineNames: names)
            case .path(let path):
                let last = path.split(separator: "/").last.map(String.init) ?? "gpiochip\(900 + index)"
                chip = SimulatedGPIOChip(name: last.hasPrefix("gpiochip") ? last : "gpiochip\(900 + index)", lineNames: names)
            case .label(let label): chip = SimulatedGPIOChip(name: "gpiochip\(900 + index)", label: label, lineNames: names)
            }
            simulated[chipText] = chip
        }
        simulatedChips = simulated.keys.sorted().compactMap { simulated[$0] }
        var simulations: [(chip: SimulatedGPIOChip, line: GPIOConnectorConfiguration.Line, simulation: GPIOConnectorConfiguration.Line.Simulation)] = []
        for device in configuration.devices where device.backend == .simulated {
            for line in device.lines {
                if case .input(_, _, let simulation?) = line.direction, let chip = simulated[device.chip] {
                    simulations.append((chip, line, simulation))
                }
            }
        }
        self.simulations = simulations
        let safeName = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        pulseCounts = PulseCountFile(url: dataFolder?.appendingPathComponent("gpio-pulse-counts-\(safeName).json"))
        if let problem = pulseCounts.loadProblem { logger.error("GPIO connector '\(name)': \(problem)") }
        let simulatedBackend = SimulatedGPIOBackend(chips: simulatedChips)

        // One worker per (backend, chip).
        var groups: [String: (backend: any GPIOBackend, chip: String, slots: [GPIOChipWorker.Slot], retryMs: Int, devices: [(String, [Int])])] = [:]
        var order: [String] = []
        for device in configuration.devices {
            let groupKey = "\(device.backend.rawValue)|\(device.chip)"
            if groups[groupKey] == nil {
                let backend: any GPIOBackend = device.backend == .simulated ? simulatedBackend : libgpiod
                groups[groupKey] = (backend, device.chip, [], device.retryPeriodMs, [])
                order.append(groupKey)
            }
            let first = groups[groupKey]!.slots.count
            groups[groupKey]!.slots += device.lines.map {
                GPIOChipWorker.Slot(device: device.name, line: $0, consumer: device.consumer, reportPeriodMs: device.reportPeriodMs)
            }
            groups[groupKey]!.retryMs = min(groups[groupKey]!.retryMs, device.retryPeriodMs)
            groups[groupKey]!.devices.append((device.name, Array(first..<first + device.lines.count)))
        }
        var workers: [GPIOChipWorker] = []
        var table: [String: DeviceEntry] = [:]
        for key in order {
            let group = groups[key]!
            let worker = GPIOChipWorker(chip: group.chip, backend: group.backend, slots: group.slots, retryPeriodMs: group.retryMs,
                                        queue: queue, counts: pulseCounts, logger: logger)
            workers.append(worker)
            for (deviceName, slots) in group.devices {
                let config = configuration.devices.first { $0.name == deviceName }!
                table[deviceName] = DeviceEntry(config: config, worker: worker, slots: slots)
            }
        }
        self.workers = workers
        self.deviceTable = table
    }

    public var summary: ConnectorSummary {
        ConnectorSummary(devices: configuration.devices.map { device in
            ConnectorSummary.Device(
                name: device.name, type: device.type,
                telemetryKeys: device.lines.filter { $0.reportAs.telemetry }.flatMap(\.reportedKeys),
                attributeKeys: device.lines.filter { $0.reportAs.attributes }.flatMap(\.reportedKeys),
                rpcMethods: Self.rpcMethods,
                details: ["chip \(device.chip) (\(device.backend.rawValue))"] + device.lines.map(Self.describe))
        })
    }

    static func describe(_ line: GPIOConnectorConfiguration.Line) -> String {
        var text = "line \(line.label): "
        switch line.direction {
        case .input(let edge, let debounceMs, let simulate):
            if let counting = line.pulseCounter {
                text += "pulse counter (count '\(line.key)', rate '\(counting.rateKey)' every \(counting.reportPeriodMs) ms"
                text += counting.minPulseWidthMs > 0 ? ", pulses of at least \(counting.minPulseWidthMs) ms)" : ")"
            } else {
                text += "input, \(edge.rawValue) edges"
                if debounceMs > 0 { text += ", debounce \(debounceMs) ms" }
            }
            if let period = simulate?.togglePeriodMs { text += ", simulated toggle every \(period) ms" }
        case .output(let initial, let safe, let drive):
            text += "output, initial \(line.restore ? "from shared attribute '\(line.key)', else " : "")\(initial ? 1 : 0), safe state \(safe.map { $0 ? "1" : "0" } ?? "keep"), \(Self.spelling(drive))"
        }
        if line.bias != .asIs { text += ", bias \(Self.spelling(line.bias))" }
        if line.activeLow { text += ", active-low" }
        if line.reportAs != .telemetry { text += ", reported as \(line.reportAs.rawValue)" }
        return text
    }

    /// As written in gpio.json.
    static func spelling(_ drive: GPIODrive) -> String {
        switch drive {
        case .pushPull: "push-pull"
        case .openDrain: "open-drain"
        case .openSource: "open-source"
        }
    }

    static func spelling(_ bias: GPIOBias) -> String {
        switch bias {
        case .asIs: "as-is"
        case .disabled: "disabled"
        case .pullUp: "pull-up"
        case .pullDown: "pull-down"
        }
    }

    // MARK: - Running

    public func run(context: ConnectorContext) async {
        queue.attach { [self] events in deliver(events, to: context) }
        startSimulations()
        for worker in workers { worker.start(health: context.monitor.health) }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.restoreOutputs(context) }
            // Reports go to the store from the threads that push them; this waits until cancelled.
            while await queue.waitForItems() { deliver(queue.drain(), to: context) }
        }
        for worker in workers { worker.stop() }
        for worker in workers { await worker.waitUntilFinished() }
        deliver(queue.drain(), to: context)
    }

    /// Sets simulated inputs to their initial level and starts their toggling.
    private func startSimulations() {
        for (chip, line, simulation) in simulations {
            do {
                let offset = try line.pin ?? chip.findLine(named: line.lineName ?? "")
                try chip.setInputLevel(offset: offset, simulation.initialLevel)
                if let period = simulation.togglePeriodMs {
                    try chip.startToggling(offset: offset, period: .milliseconds(period))
                }
            } catch {
                logger.error("simulated line \(line.label) on \(chip.name): \(error)")
            }
        }
    }

    /// Outputs with `restore` start from their shared attribute: asked once per device; an
    /// answer that is not a level, no answer within `restoreTimeoutMs`, or no platform leaves
    /// `initial`.
    private func restoreOutputs(_ context: ConnectorContext) async {
        await withDiscardingTaskGroup { group in
            for device in configuration.devices {
                guard let entry = deviceTable[device.name] else { continue }
                let positions = device.lines.indices.filter { device.lines[$0].restore }
                guard !positions.isEmpty else { continue }
                group.addTask {
                    let keys = positions.map { device.lines[$0].key }
                    var values: [String: JSONValue] = [:]
                    do {
                        values = try await context.requestSharedAttributes(
                            device: device.name, keys: keys, timeout: .milliseconds(device.restoreTimeoutMs))
                    } catch {
                        self.logger.warning("device '\(device.name)': shared attributes \(keys) for restoring outputs did not arrive (\(error)); using \"initial\"")
                    }
                    for position in positions {
                        let line = device.lines[position]
                        var level: Bool?
                        if let value = values[line.key] {
                            level = GPIOLevel.parse(value)
                            if level == nil {
                                self.logger.warning("device '\(device.name)': shared attribute '\(line.key)' = \(PlatformText.clip(value)) is not 0, 1, true or false; line \(line.label) starts from \"initial\"")
                            }
                        }
                        if let level { self.logger.info("device '\(device.name)': line \(line.label) restored to \(level ? 1 : 0) from shared attribute '\(line.key)'") }
                        entry.worker.resolveRestore(slot: entry.slots[position], level: level)
                    }
                }
            }
        }
    }

    private func deliver(_ events: [GPIOConnectorEvent], to context: ConnectorContext) {
        var telemetry: [TelemetryRecord] = []
        func flush() {
            if !telemetry.isEmpty { context.sendTelemetry(telemetry) }
            telemetry.removeAll()
        }
        for event in events {
            switch event {
            case .telemetry(let record): telemetry.append(record)
            case .attributes(let device, let values):
                flush()
                context.sendAttributes(device: device, values: values)
            case .connected(let device):
                flush()
                context.deviceConnected(device)
            case .disconnected(let device):
                flush()
                context.deviceDisconnected(device)
            case .error:
                context.recordError()
            }
        }
        flush()
    }
}
