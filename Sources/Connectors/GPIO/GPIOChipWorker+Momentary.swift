import IronbridgeCore
import IronbridgeGPIO

/// Momentary outputs (`setGpio` with `durationMs`): RPC handlers schedule a return, the chip
/// thread carries it out when it is due (its wait is cut short by `wake`), or at stop.
extension GPIOChipWorker {
    /// Returns the output to `level` after `milliseconds`, replacing a return pending for it.
    func scheduleReturn(slot: Int, to level: Bool, afterMs milliseconds: Int) {
        let due = EdgeTimestamp.monotonicNanoseconds() + UInt64(milliseconds) * 1_000_000
        shared.withLock { $0.pendingReturns[slot] = (level, due) }
        wake?.signal()
    }

    /// Cancels a pending return; the level it would have returned to, if one was pending.
    @discardableResult
    func cancelReturn(slot: Int) -> Bool? {
        shared.withLock { $0.pendingReturns.removeValue(forKey: slot)?.level }
    }

    /// The level a pending return will restore, if one is pending.
    func pendingReturnLevel(slot: Int) -> Bool? { shared.withLock { $0.pendingReturns[slot]?.level } }

    /// Momentary outputs whose time is up go back to their level.
    func applyDueReturns(now: UInt64) -> [GPIOConnectorEvent] {
        let due: [(slot: Int, level: Bool, handle: (any GPIOLineProtocol)?)] = shared.withLock { shared in
            let ready = shared.pendingReturns.filter { $0.value.due <= now }
            for slot in ready.keys { shared.pendingReturns[slot] = nil }
            return ready.map { ($0.key, $0.value.level, shared.handles[$0.key]) }
        }
        return due.flatMap { entry in returnOutput(entry.slot, to: entry.level, entry.handle) }
    }

    func returnOutput(_ index: Int, to level: Bool, _ handle: (any GPIOLineProtocol)?) -> [GPIOConnectorEvent] {
        guard let handle else { return [] }
        do {
            try handle.setValue(level)
            return reportEvents(slot: index, level: try handle.value(), timestamp: EdgeTimestamp.nowMilliseconds())
        } catch {
            logger.error("device '\(slots[index].device)': returning line \(slots[index].line.label) to \(level ? 1 : 0) after its momentary command failed: \(error)")
            noteFailure(error)
            return [.error]
        }
    }

}
