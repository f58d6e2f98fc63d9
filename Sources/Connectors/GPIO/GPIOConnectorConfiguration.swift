import IronbridgeCore
import IronbridgeGPIO
import IronbridgeSystem

/// connectors/gpio.json, read and validated. See docs/gpio-connector.md for every key.
public struct GPIOConnectorConfiguration: Sendable, Equatable {
    public var devices: [Device]

    /// Which library serves a device's chip.
    public enum Backend: String, Sendable, Equatable {
        /// Real chips through libgpiod (1.x or 2.x, as the build found).
        case libgpiod
        /// An in-process chip whose inputs are scripted (`simulate`), for demos without GPIO.
        case simulated
    }

    public struct Device: Sendable, Equatable {
        public var name: String
        public var type: String
        /// As written in the file (`gpiochip0`, `/dev/gpiochip0`, `0`, or a label).
        public var chip: String
        public var backend: Backend
        /// The consumer name the kernel shows for the lines (`gpioinfo`).
        public var consumer: String
        /// Every line's level is reported this often; 0: only on change.
        public var reportPeriodMs: Int
        /// How often a chip that is missing (or a line that is busy) is tried again.
        public var retryPeriodMs: Int
        /// How long outputs with `restore` wait for their shared attribute before using `initial`.
        public var restoreTimeoutMs: Int
        public var lines: [Line]

        public var chipIdentifier: GPIOChipIdentifier { GPIOChipIdentifier(parsing: chip) }
    }

    /// Where a line's level goes.
    public enum ReportTarget: String, Sendable, Equatable {
        case telemetry, attributes, both

        var telemetry: Bool { self != .attributes }
        var attributes: Bool { self != .telemetry }
    }

    public struct Line: Sendable, Equatable {
        /// The offset on the chip, when given as `pin`.
        public var pin: UInt32?
        /// The line name (`GPIO23`), when given as `lineName`.
        public var lineName: String?
        public var key: String
        public var direction: Direction
        public var bias: GPIOBias
        public var activeLow: Bool
        public var reportAs: ReportTarget
        /// Outputs: start from the platform's shared attribute named `key` (else `initial`).
        public var restore: Bool = false
        /// Inputs: count pulses instead of reporting the level.
        public var pulseCounter: PulseCounting?
        /// Device-to-device messages sent on this input's edges (docs/messages.md).
        public var messages: [MessageRule] = []

        public enum Direction: Sendable, Equatable {
            case input(edge: GPIOEdgeDetection, debounceMs: Int, simulate: Simulation?)
            /// `safeState` nil: left as it is on shutdown.
            case output(initial: Bool, safeState: Bool?, drive: GPIODrive)
        }

        /// Pulse counting on an input (S0 outputs of energy, water and gas meters, flow sensors).
        /// A pulse is the line being logically active (1) for at least `minPulseWidthMs`; it is
        /// counted when it ends. `key` reports the count (kept across restarts), `rateKey` the
        /// pulses per second over the last report period.
        public struct PulseCounting: Sendable, Equatable {
            public var minPulseWidthMs: Int
            public var reportPeriodMs: Int
            public var rateKey: String
        }

        /// What a simulated input does by itself.
        public struct Simulation: Sendable, Equatable {
            public var togglePeriodMs: Int?
            public var initialLevel: Bool
        }

        public var isOutput: Bool {
            if case .output = direction { return true }
            return false
        }

        /// The keys the line reports: its level, or a pulse counter's count and rate.
        public var reportedKeys: [String] { pulseCounter.map { [key, $0.rateKey] } ?? [key] }

        /// `23 (pump)` or `GPIO23 (pump)`, for messages.
        public var label: String { "\(pin.map(String.init) ?? lineName ?? "?") (\(key))" }

        public var request: GPIOLineRequest {
            switch direction {
            case .input(let edge, _, _):
                .input(edge: pulseCounter == nil ? edge : .both, bias: bias, activeLow: activeLow)
            case .output(let initial, _, let drive):
                .output(initialValue: initial, drive: drive, bias: bias, activeLow: activeLow)
            }
        }
    }
}

// MARK: - Reading

extension GPIOConnectorConfiguration {
    static let deviceKeys: Set<String> = [
        "deviceName", "deviceType", "chip", "backend", "consumer", "reportPeriodMs", "retryPeriodMs", "restoreTimeoutMs",
        "lines",
    ]
    static let lineKeys: Set<String> = [
        "pin", "lineName", "key", "direction", "edge", "bias", "activeLow", "debounceMs", "initial", "safeState",
        "drive", "reportAs", "simulate", "restore", "pulseCounter", "messages",
    ]

    /// Reads the file's root node; every problem goes to the node's diagnostics. Returns nil on errors.
    public static func read(_ root: ConfigNode) -> GPIOConnectorConfiguration? {
        let before = root.diagnostics.errors.count
        guard root.exists else {
            root.error("expected an object with \"devices\"")
            return nil
        }
        root.checkKeys(known: ["devices"])
        let deviceNodes = root["devices"].arrayElements(required: true)
        if deviceNodes.isEmpty, root["devices"].value?.arrayValue != nil {
            root["devices"].error("must list at least one device")
        }
        var devices: [Device] = []
        var names: [String: String] = [:]
        for node in deviceNodes {
            guard let device = readDevice(node) else { continue }
            if let first = names[device.name] {
                node["deviceName"].error("'\(device.name)' is already the name of \(first); device names must be unique")
            }
            names[device.name] = node.path
            devices.append(device)
        }
        checkSharedLines(devices, nodes: deviceNodes)
        guard root.diagnostics.errors.count == before else { return nil }
        return GPIOConnectorConfiguration(devices: devices)
    }

    private static func readDevice(_ node: ConfigNode) -> Device? {
        guard node.value?.objectValue != nil else {
            node.error("expected an object, found \(node.value?.kindName ?? "nothing")")
            return nil
        }
        node.checkKeys(known: deviceKeys)
        let name = node["deviceName"].requiredString()
        let type = node["deviceType"].string(default: "gpio")
        let chip = node["chip"].string(default: "gpiochip0")
        if chip.isEmpty { node["chip"].error("must not be empty") }
        let backendName = node["backend"].oneOf(["libgpiod", "simulated"], default: "libgpiod") ?? "libgpiod"
        let backend = Backend(rawValue: backendName) ?? .libgpiod
        let consumer = node["consumer"].string(default: GPIOLineRequest.defaultConsumer)
        let reportPeriodMs = node["reportPeriodMs"].int(default: 0, in: 0...86_400_000)
        if reportPeriodMs > 0 && reportPeriodMs < 10 {
            node["reportPeriodMs"].error("\(reportPeriodMs) ms is too short: use 0 (off) or at least 10")
        }
        let retryPeriodMs = node["retryPeriodMs"].int(default: 5_000, in: 100...3_600_000)
        let restoreTimeoutMs = node["restoreTimeoutMs"].int(default: 10_000, in: 0...600_000)

        let lineNodes = node["lines"].arrayElements(required: true)
        if lineNodes.isEmpty, node["lines"].value?.arrayValue != nil { node["lines"].error("must list at least one line") }
        var lines: [Line] = []
        var pins: [UInt32: String] = [:]
        var lineNames: [String: String] = [:]
        var keys: [String: String] = [:]
        for lineNode in lineNodes {
            guard let line = readLine(lineNode, backend: backend, reportPeriodMs: reportPeriodMs, device: name ?? "") else { continue }
            if let pin = line.pin {
                if let first = pins[pin] { lineNode["pin"].error("pin \(pin) is already configured at \(first)") }
                pins[pin] = lineNode.path
            }
            if let lineName = line.lineName {
                if let first = lineNames[lineName] { lineNode["lineName"].error("'\(lineName)' is already configured at \(first)") }
                lineNames[lineName] = lineNode.path
            }
            if let first = keys[line.key] { lineNode["key"].error("the key '\(line.key)' is already used at \(first)") }
            keys[line.key] = lineNode.path
            lines.append(line)
        }
        guard let name else { return nil }
        return Device(name: name, type: type, chip: chip, backend: backend, consumer: consumer,
                      reportPeriodMs: reportPeriodMs, retryPeriodMs: retryPeriodMs, restoreTimeoutMs: restoreTimeoutMs,
                      lines: lines)
    }

    private static func readLine(_ node: ConfigNode, backend: Backend, reportPeriodMs: Int, device: String) -> Line? {
        guard node.value?.objectValue != nil else {
            node.error("expected an object, found \(node.value?.kindName ?? "nothing")")
            return nil
        }
        node.checkKeys(known: lineKeys)
        let errorsBefore = node.diagnostics.errors.count
        let pin = node["pin"].optionalInt(in: 0...65_535).map { UInt32($0) }
        let lineName = node["lineName"].optionalString()
        switch (node["pin"].exists, node["lineName"].exists) {
        case (false, false): node.error("a line needs \"pin\" (its offset on the chip) or \"lineName\" (e.g. \"GPIO23\")")
        case (true, true): node["lineName"].error("give either \"pin\" or \"lineName\", not both")
        default: break
        }
        if let lineName, lineName.isEmpty { node["lineName"].error("must not be empty") }
        let key = node["key"].optionalString() ?? lineName ?? pin.map { "gpio\($0)" } ?? ""
        if node["key"].exists && key.isEmpty { node["key"].error("must not be empty") }

        let direction = node["direction"].oneOf(["input", "output"], default: "input") ?? "input"
        let biasName = node["bias"].oneOf(["as-is", "disabled", "pull-up", "pull-down"], default: "as-is") ?? "as-is"
        let bias: GPIOBias = switch biasName {
        case "disabled": .disabled
        case "pull-up": .pullUp
        case "pull-down": .pullDown
        default: .asIs
        }
        let activeLow = node["activeLow"].bool(default: false)
        let reportAs = ReportTarget(rawValue: node["reportAs"].oneOf(["telemetry", "attributes", "both"], default: "telemetry") ?? "telemetry") ?? .telemetry

        let kind: Line.Direction
        if direction == "output" {
            for inputOnly in ["edge", "debounceMs", "simulate", "pulseCounter"] where node[inputOnly].exists {
                node[inputOnly].warning("applies to inputs only; ignored for an output")
            }
            let initial = readLevel(node["initial"]) ?? false
            let safeState: Bool?
            if node["safeState"].value?.stringValue?.lowercased() == "keep" {
                safeState = nil
            } else {
                safeState = node["safeState"].exists ? (readLevel(node["safeState"], orKeep: true) ?? initial) : initial
            }
            let driveName = node["drive"].oneOf(["push-pull", "open-drain", "open-source"], default: "push-pull") ?? "push-pull"
            let drive: GPIODrive = driveName == "open-drain" ? .openDrain : driveName == "open-source" ? .openSource : .pushPull
            kind = .output(initial: initial, safeState: safeState, drive: drive)
        } else {
            for outputOnly in ["initial", "safeState", "drive", "restore"] where node[outputOnly].exists {
                node[outputOnly].warning("applies to outputs only; ignored for an input")
            }
            let edgeName = node["edge"].oneOf(["none", "rising", "falling", "both"], default: "both") ?? "both"
            let edge = GPIOEdgeDetection(rawValue: edgeName) ?? .both
            let debounceMs = node["debounceMs"].int(default: 0, in: 0...60_000)
            if edge == .none && reportPeriodMs == 0 {
                node["edge"].warning("with \"edge\": \"none\" and no device \"reportPeriodMs\", this input is reported only at start")
            }
            var simulation: Line.Simulation?
            let simulate = node["simulate"]
            if simulate.exists {
                if backend != .simulated {
                    simulate.warning("applies only to devices with \"backend\": \"simulated\"; ignored")
                } else if simulate.value?.objectValue == nil {
                    simulate.error("expected an object such as {\"togglePeriodMs\": 300}")
                } else {
                    simulate.checkKeys(known: ["togglePeriodMs", "initial"])
                    let period = simulate["togglePeriodMs"].optionalInt(in: 1...3_600_000).map { Int($0) }
                    let initialLevel = readLevel(simulate["initial"]) ?? false
                    simulation = Line.Simulation(togglePeriodMs: period, initialLevel: initialLevel)
                }
            }
            kind = .input(edge: edge, debounceMs: debounceMs, simulate: simulation)
        }
        let restore = direction == "output" && node["restore"].bool(default: false)
        var pulseCounter: Line.PulseCounting?
        let counterNode = node["pulseCounter"]
        if direction == "input" && counterNode.exists {
            if counterNode.value?.objectValue == nil {
                counterNode.error("expected an object such as {\"minPulseWidthMs\": 30, \"reportPeriodMs\": 60000}")
            } else {
                counterNode.checkKeys(known: ["minPulseWidthMs", "reportPeriodMs", "rateKey"])
                if node["edge"].exists { node["edge"].warning("a pulse counter watches both edges; \"edge\" is ignored") }
                if node["debounceMs"].exists {
                    node["debounceMs"].warning("a pulse counter filters with \"pulseCounter.minPulseWidthMs\"; \"debounceMs\" is ignored")
                }
                pulseCounter = Line.PulseCounting(
                    minPulseWidthMs: counterNode["minPulseWidthMs"].int(default: 0, in: 0...3_600_000),
                    reportPeriodMs: counterNode["reportPeriodMs"].int(default: 60_000, in: 100...86_400_000),
                    rateKey: counterNode["rateKey"].string(default: "\(key)Rate"))
                if pulseCounter?.rateKey.isEmpty == true { counterNode["rateKey"].error("must not be empty") }
            }
        }
        var messages: [MessageRule] = []
        if node["messages"].exists {
            if direction == "output" {
                node["messages"].error("messages are sent on the edges of inputs; an output cannot send them")
            } else if pulseCounter != nil {
                node["messages"].error("a pulse counter reports counts, not edges; messages need an input without \"pulseCounter\"")
            } else {
                messages = MessageRule.readList(node["messages"], device: device, key: key, source: .gpioInput)
            }
        }
        guard node.diagnostics.errors.count == errorsBefore else { return nil }
        return Line(pin: pin, lineName: lineName, key: key, direction: kind, bias: bias, activeLow: activeLow, reportAs: reportAs,
                    restore: restore, pulseCounter: pulseCounter, messages: messages)
    }

    /// 0/1, true/false (or their strings). nil if absent or invalid (recorded).
    static func readLevel(_ node: ConfigNode, orKeep: Bool = false) -> Bool? {
        guard let value = node.value, value != .null else { return nil }
        if let level = GPIOLevel.parse(value) { return level }
        node.error("expected 0, 1, true or false\(orKeep ? " (or \"keep\")" : ""), found \(value.kindName == "a number" ? value.jsonString : value.kindName)")
        return nil
    }

    /// Two devices on the same chip must not claim the same pin or line name.
    private static func checkSharedLines(_ devices: [Device], nodes: [ConfigNode]) {
        var owners: [String: String] = [:]
        for device in devices {
            for line in device.lines {
                let id = "\(device.backend.rawValue)|\(device.chip)|\(line.pin.map { "#\($0)" } ?? line.lineName ?? "")"
                if let owner = owners[id], owner != device.name, let node = nodes.first(where: { $0["deviceName"].value?.stringValue == device.name }) {
                    node["lines"].error("line \(line.pin.map(String.init) ?? line.lineName ?? "?") on \(device.chip) is already used by device '\(owner)'")
                }
                owners[id] = device.name
            }
        }
    }
}

/// How levels are written in configs, RPC params and attribute updates.
enum GPIOLevel {
    /// true/false, 0/1, and the strings "0", "1", "true", "false", "on", "off", "high", "low".
    static func parse(_ value: JSONValue) -> Bool? {
        switch value {
        case .bool(let flag): return flag
        case .int(0): return false
        case .int(1): return true
        case .double(0): return false
        case .double(1): return true
        case .string(let text):
            switch text.trimmingWhitespace().lowercased() {
            case "0", "false", "off", "low": return false
            case "1", "true", "on", "high": return true
            default: return nil
            }
        default: return nil
        }
    }
}
