import IronbridgeCore
import IronbridgeGPIO
import IronbridgeSystem

/// Server-side RPCs and shared attribute updates.
///
/// Replies: `setGpio`/`getGpio` -> `{"pin":23,"value":1}` (the level read back from the line;
/// a momentary `setGpio` with `"durationMs"` echoes it and returns the line afterwards);
/// `getGpioStatus`/`setGpioStatus` -> `{"17":false,"23":true}` (every line of the device whose
/// level can be read, keyed by offset: the shape of ThingsBoard's GPIO widgets); any failure ->
/// `{"error":"device 'Pump Panel': pin 17 (door): ..."}`.
extension GPIOConnector {
    public func handleRPC(_ call: RPCCall) async -> JSONValue {
        guard let entry = deviceTable[call.device] else {
            return errorReply("device '\(call.device)' is not a device of GPIO connector '\(name)'")
        }
        let params = call.params.unwrappingJSONString
        let result: Result<JSONValue, RPCFailure>
        switch call.method.lowercased() {
        case "setgpio":
            result = setGpio(entry, params, enabledKey: "value").map { written in
                var reply: [String: JSONValue] = ["pin": .int(Int64(written.pin)), "value": .int(written.level ? 1 : 0)]
                if let duration = written.durationMs { reply["durationMs"] = .int(Int64(duration)) }
                return JSONValue.object(reply)
            }
        case "getgpio": result = getGpio(entry, params)
        case "getgpiostatus": result = status(entry)
        case "setgpiostatus": result = setGpio(entry, params, enabledKey: "enabled").flatMap { _ in status(entry) }
        default:
            result = .failure(RPCFailure("device '\(entry.config.name)': unknown method '\(PlatformText.clip(call.method))'; GPIO devices answer \(Self.rpcMethods.joined(separator: ", "))"))
        }
        switch result {
        case .success(let data): return data
        case .failure(let failure):
            logger.warning("RPC \(PlatformText.clip(call.method)) (id \(call.id)) on '\(call.device)' refused: \(failure.message)")
            return errorReply(failure.message)
        }
    }

    public func handleAttributeUpdate(device: String, values: [String: JSONValue]) async {
        guard let entry = deviceTable[device] else { return }
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let position = entry.config.lines.firstIndex(where: { $0.key == key }) else {
                logger.debug("device '\(device)': shared attribute '\(PlatformText.clip(key))' names no line; ignored")
                continue
            }
            let line = entry.config.lines[position]
            guard line.isOutput else {
                logger.warning("device '\(device)': shared attribute '\(key)' names the input \(line.label); only outputs can be driven; ignored")
                continue
            }
            guard let level = GPIOLevel.parse(value) else {
                logger.warning("device '\(device)': shared attribute '\(key)' = \(PlatformText.clip(value)) is not 0, 1, true or false; line \(line.label) left unchanged")
                continue
            }
            switch write(entry, position: position, level: level, durationMs: nil) {
            case .success(let written):
                logger.info("device '\(device)': line \(line.label) set to \(written.level ? 1 : 0) by shared attribute '\(key)'")
            case .failure(let failure):
                logger.error("device '\(device)': shared attribute '\(key)': \(failure.message)")
                queue.push(.error)
            }
        }
    }

    // MARK: - Methods

    struct RPCFailure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    typealias Written = (pin: UInt32, level: Bool, durationMs: Int?)

    private func setGpio(_ entry: DeviceEntry, _ params: JSONValue, enabledKey: String) -> Result<Written, RPCFailure> {
        let device = entry.config.name
        guard params.objectValue != nil else {
            return .failure(RPCFailure("device '\(device)': expected params {\"pin\": 23, \"\(enabledKey)\": \(enabledKey == "value" ? "1" : "true")}, got \(PlatformText.clip(params))"))
        }
        let position: Int
        switch resolve(entry, pin: params["pin"]) {
        case .success(let found): position = found
        case .failure(let failure): return .failure(failure)
        }
        let line = entry.config.lines[position]
        guard line.isOutput else {
            return .failure(RPCFailure("device '\(device)': pin \(pinText(entry, position)) (\(line.key)) is an input; only outputs can be written (outputs: \(outputList(entry)))"))
        }
        guard let raw = params[enabledKey], raw != .null else {
            return .failure(RPCFailure("device '\(device)': pin \(pinText(entry, position)) (\(line.key)): \"\(enabledKey)\" is missing (0/1 or true/false)"))
        }
        guard let level = GPIOLevel.parse(raw) else {
            return .failure(RPCFailure("device '\(device)': pin \(pinText(entry, position)) (\(line.key)): \"\(enabledKey)\" must be 0, 1, true or false, got \(PlatformText.clip(raw))"))
        }
        var durationMs: Int?
        if let duration = params["durationMs"], duration != .null {
            guard let milliseconds = duration.intValue, (1...86_400_000).contains(milliseconds) else {
                return .failure(RPCFailure("device '\(device)': pin \(pinText(entry, position)) (\(line.key)): \"durationMs\" must be a whole number of milliseconds from 1 to 86400000, got \(PlatformText.clip(duration))"))
            }
            durationMs = Int(milliseconds)
        }
        return write(entry, position: position, level: level, durationMs: durationMs)
    }

    /// Drives an output, reads it back, reports the new level. With `durationMs` (a momentary
    /// command: door openers, relay pulses) the line returns afterwards to the level it had
    /// before, kept across commands: a new command for the same pin replaces a pending return
    /// (with a duration of its own, it returns to that same resting level later).
    private func write(_ entry: DeviceEntry, position: Int, level: Bool, durationMs: Int?) -> Result<Written, RPCFailure> {
        let slot = entry.slots[position]
        let handle: any GPIOLineProtocol
        switch entry.worker.line(for: slot) {
        case .success(let held): handle = held
        case .failure(let unavailable): return .failure(lineFailure(entry, position, unavailable.reason))
        }
        do {
            let resting: Bool
            if let pending = entry.worker.pendingReturnLevel(slot: slot) { resting = pending } else { resting = try handle.value() }
            try handle.setValue(level)
            if let durationMs {
                entry.worker.scheduleReturn(slot: slot, to: resting, afterMs: durationMs)
            } else {
                entry.worker.cancelReturn(slot: slot)
            }
            let readBack = try handle.value()
            queue.push(entry.worker.reportEvents(slot: slot, level: readBack, timestamp: EdgeTimestamp.nowMilliseconds()))
            return .success((handle.offset, readBack, durationMs))
        } catch {
            entry.worker.noteFailure(error)
            queue.push(.error)
            return .failure(lineFailure(entry, position, "\(error)"))
        }
    }

    private func getGpio(_ entry: DeviceEntry, _ params: JSONValue) -> Result<JSONValue, RPCFailure> {
        // {"pin": 23}, or the pin alone.
        let pin = params.objectValue != nil ? params["pin"] : params
        let position: Int
        switch resolve(entry, pin: pin) {
        case .success(let found): position = found
        case .failure(let failure): return .failure(failure)
        }
        switch read(entry, position: position) {
        case .success(let reading): return .success(["pin": .int(Int64(reading.pin)), "value": .int(reading.level ? 1 : 0)])
        case .failure(let failure): return .failure(failure)
        }
    }

    private func read(_ entry: DeviceEntry, position: Int) -> Result<(pin: UInt32, level: Bool), RPCFailure> {
        switch entry.worker.line(for: entry.slots[position]) {
        case .failure(let unavailable): return .failure(lineFailure(entry, position, unavailable.reason))
        case .success(let handle):
            do {
                return .success((handle.offset, try handle.value()))
            } catch {
                entry.worker.noteFailure(error)
                return .failure(lineFailure(entry, position, "\(error)"))
            }
        }
    }

    /// Every readable line, keyed by offset, as the GPIO widgets expect.
    private func status(_ entry: DeviceEntry) -> Result<JSONValue, RPCFailure> {
        var map: [String: JSONValue] = [:]
        var problems: [String] = []
        for position in entry.config.lines.indices {
            switch read(entry, position: position) {
            case .success(let reading): map[String(reading.pin)] = .bool(reading.level)
            case .failure(let failure): problems.append(failure.message)
            }
        }
        if map.isEmpty && !problems.isEmpty {
            return .failure(RPCFailure(problems.count == 1 ? problems[0] : "device '\(entry.config.name)': no line can be read: \(problems.joined(separator: "; "))"))
        }
        for problem in problems { logger.warning("getGpioStatus leaves out a line: \(problem)") }
        return .success(.object(map))
    }

    // MARK: - Pins

    /// Finds the configured line a `pin` parameter names: an offset (number or digits), a line
    /// name (`GPIO23`) or a key (`pump`).
    func resolve(_ entry: DeviceEntry, pin: JSONValue?) -> Result<Int, RPCFailure> {
        let device = entry.config.name
        guard let pin, pin != .null else {
            return .failure(RPCFailure("device '\(device)': \"pin\" is missing (configured pins: \(pinList(entry)))"))
        }
        let text: String
        switch pin {
        case .int, .double:
            guard let number = pin.intValue else {
                return .failure(RPCFailure("device '\(device)': pin \(PlatformText.clip(pin)) is not a whole number"))
            }
            text = String(number)
        case .string(let string): text = string.trimmingWhitespace()
        default:
            return .failure(RPCFailure("device '\(device)': \"pin\" must be a number or a string, got \(pin.kindName)"))
        }
        if let number = Int64(text) {
            if let found = entry.config.lines.indices.first(where: { position in
                (entry.worker.offset(of: entry.slots[position])).map { Int64($0) } == number
            }) {
                return .success(found)
            }
            return .failure(RPCFailure("device '\(device)': pin \(number) is not configured (configured pins: \(pinList(entry)))"))
        }
        if let found = entry.config.lines.indices.first(where: { position in
            let line = entry.config.lines[position]
            let chipName = entry.worker.chipLineName(of: entry.slots[position])
            return line.key == text || [line.lineName, chipName].contains { $0?.lowercased() == text.lowercased() }
        }) {
            return .success(found)
        }
        return .failure(RPCFailure("device '\(device)': pin '\(PlatformText.clip(text))' is not configured (configured pins: \(pinList(entry)))"))
    }

    private func pinText(_ entry: DeviceEntry, _ position: Int) -> String {
        if let offset = entry.worker.offset(of: entry.slots[position]) { return String(offset) }
        return entry.config.lines[position].lineName ?? "?"
    }

    private func pinList(_ entry: DeviceEntry) -> String {
        entry.config.lines.indices.map { position in
            let line = entry.config.lines[position]
            return "\(pinText(entry, position)) \(line.key) \(line.isOutput ? "output" : "input")"
        }.joined(separator: ", ")
    }

    private func outputList(_ entry: DeviceEntry) -> String {
        let outputs = entry.config.lines.indices.filter { entry.config.lines[$0].isOutput }
        return outputs.isEmpty ? "none" : outputs.map { "\(pinText(entry, $0)) \(entry.config.lines[$0].key)" }.joined(separator: ", ")
    }

    private func lineFailure(_ entry: DeviceEntry, _ position: Int, _ reason: String) -> RPCFailure {
        RPCFailure("device '\(entry.config.name)': pin \(pinText(entry, position)) (\(entry.config.lines[position].key)): \(reason)")
    }
}
