import IronbridgeCore
import IronbridgeGPIO

/// Opening the chip and requesting its lines, on the chip thread; losing them when the chip goes.
extension GPIOChipWorker {
    /// The line's level, or nil when the line is not held; a vanished chip throws.
    func readLevel(_ index: Int) throws(GPIOError) -> Bool? {
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
    func open(_ local: inout Local) {
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
                let period = reportPeriod(index)
                if period > 0 { local.nextReport[index] = now + period }
                guard let level = try readLevel(index) else { continue }
                events += observe(index, level: level, &local, timestamp: stamp)
            }
            local.nextLineRetry = now + retryNanoseconds
            local.nextHealthCheck = now + Self.healthCheckNanoseconds
            queue.push(events)
        } catch {
            chipLost(error, &local)
        }
    }

    /// Requests one line; true if it is held now. Busy or missing lines are recorded and logged
    /// (once per distinct problem); a vanished chip throws. An output waiting for its shared
    /// attribute is left alone until `resolveRestore`.
    @discardableResult
    func request(_ index: Int, on chip: any GPIOChipProtocol, _ local: inout Local) throws(GPIOError) -> Bool {
        let slot = slots[index]
        let (waiting, restored) = shared.withLock { ($0.awaitingRestore.contains(index), $0.restoredLevels[index]) }
        if waiting { return false }
        do throws(GPIOError) {
            let offset: UInt32
            if let pin = slot.line.pin { offset = pin } else { offset = try chip.findLine(named: slot.line.lineName ?? "") }
            let chipLineName = (try? chip.lineInfo(offset: offset))?.name
            shared.withLock { s in
                s.offsets[index] = offset
                if let chipLineName, !chipLineName.isEmpty { s.chipLineNames[index] = chipLineName }
            }
            var request = slot.line.request
            request.consumer = slot.consumer
            if case .input(_, let debounceMs, _) = slot.line.direction, backend.supportsKernelDebounce,
               slot.line.pulseCounter == nil, debounceMs > 0 {
                request.debounceMicroseconds = UInt32(debounceMs) * 1_000
            }
            if let restored, case .output(_, let drive) = request.direction {
                request.direction = .output(initialValue: restored, drive: drive)
            }
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
    func chipLost(_ error: GPIOError, _ local: inout Local) {
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

    func releaseAll(problem: String) {
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
}
