import Foundation
import Logging

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

    /// Writes the entries atomically. Errors are logged, never fatal: the gateway keeps running from memory.
    public func save(_ entries: [Entry]) {
        let document: JSONValue = ["version": 1, "devices": .array(entries.map {
            ["configuredName": .string($0.configuredName), "connector": .string($0.connector), "type": .string($0.type), "platformName": .string($0.platformName)]
        })]
        do {
            try writeAtomically(document.jsonBytes + [0x0A])
        } catch {
            logger.error("could not save the device registry to \(url.path): \(error)")
        }
    }

    struct WriteError: Error, CustomStringConvertible {
        var description: String
    }

    private func writeAtomically(_ bytes: [UInt8]) throws {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".devices.json.\(getpid()).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(description: "open \(temporary.path): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                let message = String(cString: strerror(errno))
                close(fd)
                throw WriteError(description: "write \(temporary.path): \(message)")
            }
            written += result
        }
        guard fsync(fd) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw WriteError(description: "fsync \(temporary.path): \(message)")
        }
        close(fd)
        guard rename(temporary.path, url.path) == 0 else {
            throw WriteError(description: "rename to \(url.path): \(String(cString: strerror(errno)))")
        }
        let folderFD = open(folder.path, O_RDONLY | O_DIRECTORY)
        if folderFD >= 0 {
            _ = fsync(folderFD)
            close(folderFD)
        }
    }
}
