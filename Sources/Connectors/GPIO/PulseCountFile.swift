import FoundationEssentials
import IronbridgeCore
import IronbridgeSystem
import Synchronization

/// The pulse counts of one GPIO connector, kept across restarts in the gateway's data folder
/// (`gpio-pulse-counts-<connector>.json`: `{"<device>/<key>": count}`).
///
/// Saving writes a temporary file in the same folder, flushes it to disk and renames it over
/// the old one, so a power cut leaves either the old or the new counts, never half a file.
/// Thread-safe; `save()` does blocking file I/O: call it from a chip thread, not the
/// concurrency pool.
final class PulseCountFile: Sendable {
    let url: URL?
    private let counts: Mutex<(values: [String: UInt64], dirty: Bool)>

    /// Reads the file if it exists; a damaged file is reported in `problem` and counting
    /// starts from 0.
    init(url: URL?) {
        self.url = url
        var values: [String: UInt64] = [:]
        var problem: String?
        if let url, let data = FileManager.default.contents(atPath: url.path) {
            if let parsed = try? JSONValue.parse(String(decoding: data, as: UTF8.self)), let object = parsed.objectValue {
                for (key, value) in object {
                    if let number = value.intValue, number >= 0 { values[key] = UInt64(number) }
                }
            } else {
                problem = "\(url.path) is not a JSON object of counts; counting starts from 0"
            }
        }
        self.loadProblem = problem
        counts = Mutex((values, false))
    }

    /// Why the file could not be read at start, if it could not.
    let loadProblem: String?

    static func key(device: String, key: String) -> String { "\(device)/\(key)" }

    func count(device: String, key: String) -> UInt64 {
        counts.withLock { $0.values[Self.key(device: device, key: key)] ?? 0 }
    }

    func set(_ count: UInt64, device: String, key: String) {
        counts.withLock { state in
            let name = Self.key(device: device, key: key)
            if state.values[name] != count {
                state.values[name] = count
                state.dirty = true
            }
        }
    }

    /// Writes the counts if they changed since the last save. Throws a message naming the file.
    func save() throws(PulseCountFileError) {
        guard let url else { return }
        let snapshot: [String: UInt64]? = counts.withLock { state in
            guard state.dirty else { return nil }
            state.dirty = false
            return state.values
        }
        guard let snapshot else { return }
        let object = JSONValue.object(snapshot.mapValues { .int(Int64(clamping: $0)) })
        do {
            try Self.writeAtomically(Array(object.jsonString.utf8), to: url)
        } catch {
            counts.withLock { $0.dirty = true }
            throw error
        }
    }

    /// A temporary file in the same folder, written and flushed (fsync), then renamed over the
    /// old one.
    private static func writeAtomically(_ bytes: [UInt8], to url: URL) throws(PulseCountFileError) {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp")
        var step = "creating \(folder.path)"
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            step = "writing \(temporary.path)"
            try SystemFile.writeSynced(bytes, to: temporary.path)
            step = "renaming \(temporary.path) to \(url.lastPathComponent)"
            try SystemFile.rename(temporary.path, to: url.path)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw PulseCountFileError(message: "saving pulse counts to \(url.path) failed while \(step): \(error)")
        }
    }
}

struct PulseCountFileError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
