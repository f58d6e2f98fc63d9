#if canImport(Glibc)
import Glibc
#endif

/// Reads and replaces configuration files (connector files, config.json) for remote
/// configuration. A replacement is atomic (temporary file, fsync, rename, fsync of the folder),
/// so a power cut leaves the old or the new file, never a torn one; the previous content is
/// kept beside it as `<file>.bak`, itself written atomically first.
enum ConfigFileStore {
    static let backupSuffix = ".bak"

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The whole file.
    static func read(_ path: String) throws(StorageError) -> [UInt8] {
        let file = try StorageFile.open(path, create: false)
        return try file.read(count: try file.size, at: 0)
    }

    /// The file parsed as JSON, or a reason why not.
    static func readJSON(_ path: String) -> Result<JSONValue, ConfigFileError> {
        let bytes: [UInt8]
        do { bytes = try read(path) } catch { return .failure(ConfigFileError(path: path, reason: "\(error)")) }
        do {
            var text = bytes
            if text.starts(with: [0xEF, 0xBB, 0xBF]) { text.removeFirst(3) }
            return .success(try JSONValue.parse(text))
        } catch {
            return .failure(ConfigFileError(path: path, reason: "\(error)"))
        }
    }

    /// Replaces `path` with `bytes`; an existing file is first copied to `<path>.bak`.
    static func replace(_ path: String, with bytes: [UInt8]) throws(StorageError) {
        if exists(path) {
            try writeAtomically(path + backupSuffix, try read(path))
        }
        try writeAtomically(path, bytes)
    }

    /// Writes `bytes` to a temporary file in the same folder, flushes it and renames it over `path`.
    static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(StorageError) {
        try StorageFile.writeAtomically(bytes, to: path)
    }
}

/// A configuration file that could not be read or parsed.
struct ConfigFileError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "\(path): \(reason)" }
}

extension JSONValue {
    /// JSON text indented by two spaces per level (object keys sorted), ending in a newline:
    /// how remote configuration writes files a person may read and edit afterwards.
    var prettyJSONBytes: [UInt8] {
        var out: [UInt8] = []
        Self.appendPretty(self, indent: 0, to: &out)
        out.append(0x0A)
        return out
    }

    private static func appendPretty(_ value: JSONValue, indent: Int, to out: inout [UInt8]) {
        let pad = [UInt8](repeating: 0x20, count: (indent + 1) * 2)
        let closingPad = [UInt8](repeating: 0x20, count: indent * 2)
        switch value {
        case .array(let items) where !items.isEmpty:
            out.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                out.append(contentsOf: position > 0 ? [UInt8(ascii: ","), 0x0A] : [0x0A])
                out.append(contentsOf: pad)
                appendPretty(item, indent: indent + 1, to: &out)
            }
            out.append(0x0A); out.append(contentsOf: closingPad); out.append(UInt8(ascii: "]"))
        case .object(let members) where !members.isEmpty:
            out.append(UInt8(ascii: "{"))
            for (position, key) in members.keys.sorted().enumerated() {
                out.append(contentsOf: position > 0 ? [UInt8(ascii: ","), 0x0A] : [0x0A])
                out.append(contentsOf: pad)
                out.append(contentsOf: JSONValue.string(key).jsonBytes)
                out.append(contentsOf: [UInt8(ascii: ":"), 0x20])
                appendPretty(members[key]!, indent: indent + 1, to: &out)
            }
            out.append(0x0A); out.append(contentsOf: closingPad); out.append(UInt8(ascii: "}"))
        default:
            out.append(contentsOf: value.jsonBytes)
        }
    }
}
