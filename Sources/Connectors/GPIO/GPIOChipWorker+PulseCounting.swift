import IronbridgeCore
import IronbridgeGPIO

/// Pulse counters' reports and the count file, on the chip thread.
extension GPIOChipWorker {
    /// Count and rate of a pulse counter; the count is saved.
    func counterReport(_ index: Int, _ local: inout Local, now: UInt64) -> [GPIOConnectorEvent] {
        guard let counting = slots[index].line.pulseCounter, local.counters[index] != nil else { return [] }
        let (count, rate) = local.counters[index]!.report(now: now)
        var values = [DataPoint(slots[index].line.key, .int(Int64(clamping: count)))]
        if let rate { values.append(DataPoint(counting.rateKey, .double(rate))) }
        counts.set(count, device: slots[index].device, key: slots[index].line.key)
        saveCounts(&local)
        return report(slot: index, values: values, timestamp: EdgeTimestamp.nowMilliseconds())
    }

    func saveCounts(_ local: inout Local) {
        for (index, counter) in local.counters {
            counts.set(counter.count, device: slots[index].device, key: slots[index].line.key)
        }
        do {
            try counts.save()
        } catch {
            logger.error("GPIO chip \(chipText): \(error)")
            queue.push(.error)
        }
    }

}
