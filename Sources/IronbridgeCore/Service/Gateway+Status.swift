#if canImport(Glibc)
import Glibc
#endif

extension Gateway {
    /// The running gateway's state as `ironbridge status --json` prints it: the platform link,
    /// the store, every configured device, every Modbus line's round trips, and the parts that
    /// feed the watchdog. Reads only in-memory state (no I/O), so any thread may call it.
    public func statusReport() -> JSONValue {
        let nowMs = UnixTime.nowMilliseconds
        let store = self.store.statisticsNow()
        var storage: [String: JSONValue] = [
            "type": .string(store.type), "pending": .int(Int64(store.pending)), "dropped": .int(Int64(store.dropped)),
            "corrupted": .int(Int64(store.corrupted)), "bytesOnDisk": .int(Int64(store.bytesOnDisk)), "draining": .bool(store.draining),
        ]
        if let age = store.oldestAgeSeconds { storage["oldestAgeSeconds"] = .double(age) }
        if let error = store.diskError { storage["diskError"] = .string(error) }

        let devices: [JSONValue] = registry.records.sorted { $0.configuredName < $1.configuredName }.map { record in
            let activity = monitor.activity(of: record.configuredName)
            var device: [String: JSONValue] = [
                "name": .string(record.configuredName), "connector": .string(record.connector),
                "errors": .int(Int64(activity?.errors ?? 0)), "values": .int(Int64(activity?.values ?? 0)),
            ]
            if record.platformName != record.configuredName { device["platformName"] = .string(record.platformName) }
            if let reachable = activity?.reachable { device["reachable"] = .bool(reachable) }
            if let at = activity?.lastValueAtMs {
                device["lastValueAt"] = .string(StatusText.isoTime(milliseconds: at))
                device["lastValueAgeSeconds"] = .double(Double(max(0, nowMs - at)) / 1000)
            }
            return .object(device)
        }

        let lines: [JSONValue] = monitor.lineTimings.sorted { $0.key < $1.key }.map { line, timing in
            var entry: [String: JSONValue] = [
                "line": .string(line), "requests": .int(Int64(timing.requests)), "failures": .int(Int64(timing.failures)),
            ]
            if let last = timing.lastMs { entry["lastMs"] = .double(Self.rounded(last)) }
            if let mean = timing.meanMs { entry["meanMs"] = .double(Self.rounded(mean)) }
            if let slowest = timing.maxMs { entry["maxMs"] = .double(Self.rounded(slowest)) }
            return .object(entry)
        }

        let stalled = monitor.health.stalled()
        return [
            "version": .string(IronbridgeVersion.current),
            "pid": .int(Int64(getpid())),
            "platform": ["endpoint": .string("\(setup.config.thingsboard.host):\(setup.config.thingsboard.port)"),
                         "connected": .bool(platform.isConnected)],
            "pointsRead": .int(Int64(monitor.pointsRead)),
            "pointsPerSecond": .double(Self.rounded(monitor.pointsPerSecond())),
            "storage": .object(storage),
            "devices": .array(devices),
            "modbusLines": .array(lines),
            "watchdog": ["parts": .array(monitor.health.partNames.map { .string($0) }),
                         "stalled": .array(stalled.map { .string($0.name) })],
        ]
    }

    private static func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
}
