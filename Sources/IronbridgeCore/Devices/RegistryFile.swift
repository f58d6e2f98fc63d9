import FoundationEssentials
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The device registry on disk: `<dataFolder>/devices.json`, written atomically (a temporary
/// file, fsync, rename, fsync of the folder), so a power cut leaves the old or the new
/// version, never a torn one. A missing or corrupt file is reported and rebuilt.
public struct RegistryFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public var configuredName: String
        public var connector: String
        public var type: String
        public var platformName: String
    }

    public let url: URL
    private let logger: Logger

    public init(folder: URL, logger: Logger) {
        url = folder.appendingPathComponent("devices.json")
        self.logger = logger
    }

    /// Reads the entries; [] (with a warning) when the file is missing, unreadable or corrupt.
    public func load() -> [Entry] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            logger.warning("cannot read the device registry \(url.path); starting with an empty one")
            return []
        }
        do {
            let root = try JSONValue.parse(Array(data))
            guard let devices = root["devices"]?.arrayValue else {
                throw JSONParseError(offset: 0, reason: "no \"devices\" array")
            }
            return try devices.enumerated().map { index, device in
                guard let configured = device["configuredName"]?.stringValue, let platform = device["platformName"]?.stringValue else {
                    throw JSONParseError(offset: 0, reason: "device \(index) lacks configuredName or platformName")
                }
                return Entry(configuredName: configured, connector: device["connector"]?.stringValue ?? "",
                             type: device["type"]?.stringValue ?? "default", platformName: platform)
            }
        } catch {
            let backup = url.appendingPathExtension("corrupt")
            try? FileManager.default.removeItem(at: backup)
            try? FileManager.default.moveItem(at: url, to: backup)
            logger.warning("the device registry \(url.path) is corrupt (\(error)); kept it as \(backup.lastPathComponent) and rebuilt it from the configuration (renames are lost)")
            return []
        }
    }

    /// Writes the entries atomically: a temporary file of its own name, fsync, rename over
    /// devices.json, fsync of the folder. Throws what failed; the caller keeps the old state.
    public func save(_ entries: [Entry]) throws(StorageError) {
        let document: JSONValue = ["version": 1, "devices": .array(entries.map {
            ["configuredName": .string($0.configuredName), "connector": .string($0.connector), "type": .string($0.type), "platformName": .string($0.platformName)]
        })]
        let folder = url.deletingLastPathComponent().path
        try StorageFile.makeFolder(folder)
        try StorageFile.writeAtomically(document.jsonBytes + [0x0A], to: url.path)
    }

    private static let temporaryPrefix = ".devices.json."

    /// Removes temporary files a killed gateway left behind.
    public func removeLeftovers() {
        let folder = url.deletingLastPathComponent().path
        for name in (try? StorageFile.list(folder)) ?? [] where name.hasPrefix(Self.temporaryPrefix) && name.hasSuffix(".tmp") {
            try? StorageFile.remove("\(folder)/\(name)")
            logger.info("removed \(name), left in \(folder) by a gateway that stopped while saving the device registry")
        }
    }
}

/// A thread-safe counter for unique temporary file names.
final class Counter: Sendable {
    private let value = Mutex<UInt64>(0)
    func add(_ amount: UInt64) -> UInt64 { value.withLock { $0 += amount; return $0 } }
}
