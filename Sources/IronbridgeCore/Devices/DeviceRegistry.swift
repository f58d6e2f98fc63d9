import Synchronization

/// Every sub-device the connectors own: configured name, connector, device type, the name
/// it has on the platform now (after renames), and whether the platform was told it is
/// connected. The one place that maps names both ways.
public final class DeviceRegistry: Sendable {
    public struct Record: Sendable, Equatable {
        public var configuredName: String
        public var type: String
        public var connector: String
        public var platformName: String
        /// We sent `connect` (and no `disconnect` since) in this process.
        public var connectedOnPlatform: Bool
        /// When the connector last reported data for it.
        public var lastActivity: ContinuousClock.Instant?
    }

    private struct State {
        var records: [String: Record] = [:]
        /// Platform name -> configured name.
        var byPlatformName: [String: String] = [:]
    }

    private let state = Mutex(State())
    private let file: RegistryFile?

    /// A registry persisted in `file` (renames survive restarts), or in memory only.
    public init(file: RegistryFile? = nil) {
        self.file = file
        guard let file else { return }
        state.withLock { s in
            for entry in file.load() {
                s.records[entry.configuredName] = Record(configuredName: entry.configuredName, type: entry.type, connector: entry.connector,
                                                         platformName: entry.platformName, connectedOnPlatform: false)
                s.byPlatformName[entry.platformName] = entry.configuredName
            }
        }
    }

    /// Drops devices no connector configures any more (after `register` calls at start), then saves.
    public func finishRegistration(configured names: Set<String>) {
        state.withLock { s in
            for (name, record) in s.records where !names.contains(name) {
                s.records.removeValue(forKey: name)
                s.byPlatformName.removeValue(forKey: record.platformName)
            }
        }
        save()
    }

    private func save() {
        guard let file else { return }
        let entries = records.map { RegistryFile.Entry(configuredName: $0.configuredName, connector: $0.connector, type: $0.type, platformName: $0.platformName) }
        file.save(entries)
    }

    /// Adds a configured device. A device already known keeps its platform name (a rename loaded from disk).
    public func register(_ device: DeviceInfo, connector: String) {
        state.withLock { s in
            if var existing = s.records[device.name] {
                existing.type = device.type
                existing.connector = connector
                s.records[device.name] = existing
                return
            }
            s.records[device.name] = Record(configuredName: device.name, type: device.type, connector: connector,
                                            platformName: device.name, connectedOnPlatform: false)
            s.byPlatformName[device.name] = device.name
        }
    }

    public func record(configuredName: String) -> Record? { state.withLock { $0.records[configuredName] } }

    public var records: [Record] {
        state.withLock { s in s.records.values.sorted { $0.configuredName < $1.configuredName } }
    }

    public func platformName(of configuredName: String) -> String {
        state.withLock { $0.records[configuredName]?.platformName ?? configuredName }
    }

    /// The device that the platform calls `platformName`.
    public func record(platformName: String) -> Record? {
        state.withLock { s in s.byPlatformName[platformName].flatMap { s.records[$0] } }
    }

    /// Marks the device connected; true when the platform still has to be told (send `connect`).
    public func markConnected(_ configuredName: String) -> Bool {
        state.withLock { s in
            guard var record = s.records[configuredName], !record.connectedOnPlatform else { return false }
            record.connectedOnPlatform = true
            s.records[configuredName] = record
            return true
        }
    }

    /// Marks the device disconnected; true when it was connected (send `disconnect`).
    public func markDisconnected(_ configuredName: String) -> Bool {
        state.withLock { s in
            guard var record = s.records[configuredName], record.connectedOnPlatform else { return false }
            record.connectedOnPlatform = false
            s.records[configuredName] = record
            return true
        }
    }

    /// Devices the platform should consider connected: announced again after every reconnect.
    public var connectedDevices: [Record] { records.filter(\.connectedOnPlatform) }

    public enum RenameOutcome: Sendable, Equatable { case renamed(configuredName: String), alreadyApplied, unknownDevice }

    /// Applies `gateway_device_renamed {old: new}`. Applying it twice is harmless.
    public func rename(from oldName: String, to newName: String) -> RenameOutcome {
        let outcome: RenameOutcome = state.withLock { s in
            if let configured = s.byPlatformName[oldName], var record = s.records[configured] {
                s.byPlatformName.removeValue(forKey: oldName)
                record.platformName = newName
                s.records[configured] = record
                s.byPlatformName[newName] = configured
                return .renamed(configuredName: configured)
            }
            return s.byPlatformName[newName] != nil ? .alreadyApplied : .unknownDevice
        }
        if case .renamed = outcome { save() }
        return outcome
    }

    public enum DeleteOutcome: Sendable, Equatable { case forgotten(configuredName: String), unknownDevice }

    /// Applies `gateway_device_deleted name` (platform or configured name): the rename is
    /// forgotten and the next data announces the device again under its configured name.
    public func delete(_ name: String) -> DeleteOutcome {
        let outcome: DeleteOutcome = state.withLock { s in
            guard let configured = s.byPlatformName[name] ?? (s.records[name] != nil ? name : nil),
                  var record = s.records[configured] else { return .unknownDevice }
            s.byPlatformName.removeValue(forKey: record.platformName)
            record.platformName = configured
            record.connectedOnPlatform = false
            s.records[configured] = record
            s.byPlatformName[configured] = configured
            return .forgotten(configuredName: configured)
        }
        if case .forgotten = outcome { save() }
        return outcome
    }

    /// Notes that the device reported data now.
    public func touch(_ configuredName: String, at instant: ContinuousClock.Instant = .now) {
        state.withLock { $0.records[configuredName]?.lastActivity = instant }
    }

    /// Connected devices that reported nothing for `timeout`: marked disconnected and returned
    /// (the caller sends `disconnect`); their next data connects them again.
    public func expireInactive(timeout: Duration, now: ContinuousClock.Instant = .now) -> [String] {
        state.withLock { s in
            var expired: [String] = []
            for (name, record) in s.records where record.connectedOnPlatform {
                guard let last = record.lastActivity, now - last >= timeout else { continue }
                s.records[name]?.connectedOnPlatform = false
                expired.append(name)
            }
            return expired.sorted()
        }
    }
}
