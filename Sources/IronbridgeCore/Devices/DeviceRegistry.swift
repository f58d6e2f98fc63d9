import IronbridgeSystem
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
    /// Held across a change and its save: changes are applied and written in arrival order,
    /// and nobody reads "success" before the new state is on disk. The state lock is taken
    /// inside it, briefly, so connectors never wait for a disk write.
    private let saveLock = ThreadLock()

    /// A registry persisted in `file` (renames survive restarts), or in memory only.
    public init(file: RegistryFile? = nil) {
        self.file = file
        guard let file else { return }
        file.removeLeftovers()
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
        _ = change { s in
            for (name, record) in s.records where !names.contains(name) {
                s.records.removeValue(forKey: name)
                s.byPlatformName.removeValue(forKey: record.platformName)
            }
            return true
        }
    }

    /// Applies `mutate` and, when it says so, saves the result; a failed save undoes the change.
    /// Returns the save error, if any.
    private func change(_ mutate: (inout State) -> Bool) -> String? {
        saveLock.lock()
        defer { saveLock.unlock() }
        let (before, after, changed) = state.withLock { s in
            let before = s
            let changed = mutate(&s)
            return (before, s, changed)
        }
        guard changed, let file else { return nil }
        let entries = after.records.values.sorted { $0.configuredName < $1.configuredName }
            .map { RegistryFile.Entry(configuredName: $0.configuredName, connector: $0.connector, type: $0.type, platformName: $0.platformName) }
        do {
            try file.save(entries)
            return nil
        } catch {
            // Undo what this change did to names; activity and connection flags may have moved on meanwhile.
            state.withLock { s in
                for (name, old) in before.records {
                    s.records[name]?.platformName = old.platformName
                }
                s.byPlatformName = before.byPlatformName
            }
            return "\(error)"
        }
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

    public enum RenameOutcome: Sendable, Equatable {
        case renamed(configuredName: String)
        case alreadyApplied
        case unknownDevice
    }

    public struct RenameFailure: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Applies `gateway_device_renamed {old: new, ...}`, all pairs or none. Applying it twice is
    /// harmless. A new name that another device uses (or will use again after a delete) is
    /// refused and changes nothing. Returns once the new names are on disk.
    public func rename(_ pairs: [(old: String, new: String)]) -> Result<[(old: String, new: String, outcome: RenameOutcome)], RenameFailure> {
        var outcomes: [(old: String, new: String, outcome: RenameOutcome)] = []
        var refusal: RenameFailure?
        let saveError = change { s in
            var planned = s
            for (oldName, newName) in pairs {
                let outcome: RenameOutcome
                if let configured = planned.byPlatformName[oldName], var record = planned.records[configured] {
                    let owner = planned.byPlatformName[newName] ?? (planned.records[newName] != nil ? newName : nil)
                    if let owner, owner != configured {
                        refusal = RenameFailure(description: "cannot rename '\(oldName)' (configured as '\(configured)') to '\(newName)': that name belongs to the device configured as '\(owner)'" + (planned.records[owner]?.platformName != owner ? " (called '\(planned.records[owner]!.platformName)' on the platform)" : ""))
                        return false
                    }
                    planned.byPlatformName.removeValue(forKey: oldName)
                    record.platformName = newName
                    planned.records[configured] = record
                    planned.byPlatformName[newName] = configured
                    outcome = .renamed(configuredName: configured)
                } else {
                    outcome = planned.byPlatformName[newName] != nil ? .alreadyApplied : .unknownDevice
                }
                outcomes.append((oldName, newName, outcome))
            }
            let changed = outcomes.contains { if case .renamed = $0.outcome { true } else { false } }
            if changed { s = planned }
            return changed
        }
        if let refusal { return .failure(refusal) }
        if let saveError { return .failure(RenameFailure(description: "the rename was not applied: could not save the device registry: \(saveError)")) }
        return .success(outcomes)
    }

    public enum DeleteOutcome: Sendable, Equatable { case forgotten(configuredName: String), unknownDevice }

    /// Applies `gateway_device_deleted name` (platform or configured name): the rename is
    /// forgotten and the next data announces the device again under its configured name.
    /// Returns once that is on disk; a failed save is returned as an error and changes nothing.
    public func delete(_ name: String) -> Result<DeleteOutcome, RenameFailure> {
        var outcome: DeleteOutcome = .unknownDevice
        let saveError = change { s in
            guard let configured = s.byPlatformName[name] ?? (s.records[name] != nil ? name : nil),
                  var record = s.records[configured] else { return false }
            s.byPlatformName.removeValue(forKey: record.platformName)
            record.platformName = configured
            record.connectedOnPlatform = false
            s.records[configured] = record
            s.byPlatformName[configured] = configured
            outcome = .forgotten(configuredName: configured)
            return true
        }
        if let saveError { return .failure(RenameFailure(description: "the delete was not applied: could not save the device registry: \(saveError)")) }
        return .success(outcome)
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
