/// The durable record of which sequences the platform acknowledged: `released.log`, an
/// append-only list of ranges (u64 LE first, u64 LE last, u32 LE CRC-32C of the 16 bytes).
/// It is rewritten in compact form when it grows. A lost entry costs a duplicate after a
/// restart, never data: a torn or damaged entry ends the list.
///
/// Not thread-safe: ``UploadBuffer`` owns it and calls it under its lock.
final class ReleaseLog {
    static let fileName = "released.log"
    private static let entrySize = 20
    /// Beyond this the log is rewritten from the ranges still relevant.
    private static let compactAt = 256 << 10

    let path: String
    private var file: StorageFile
    private(set) var bytes: Int

    /// Opens (creating) the log in `folder` and returns it with the ranges it holds.
    static func open(folder: String) throws(StorageError) -> (ReleaseLog, SequenceSet) {
        let path = "\(folder)/\(fileName)"
        let file = try StorageFile.open(path, create: true)
        let content = try file.read(count: try file.size, at: 0)
        var released = SequenceSet()
        var valid = 0
        content.withUnsafeBytes { raw in
            while valid + entrySize <= raw.count {
                let entry = UnsafeRawBufferPointer(rebasing: raw[valid..<(valid + 16)])
                let checksum = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: valid + 16, as: UInt32.self))
                guard CRC32C.checksum(entry) == checksum else { break }
                let first = UInt64(littleEndian: entry.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
                let last = UInt64(littleEndian: entry.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                guard first <= last else { break }
                released.insert(first...last)
                valid += entrySize
            }
        }
        if valid != content.count { try file.truncate(to: valid) }
        return (ReleaseLog(path: path, file: file, bytes: valid), released)
    }

    private init(path: String, file: StorageFile, bytes: Int) {
        self.path = path
        self.file = file
        self.bytes = bytes
    }

    /// Records that `ranges` were released. When the log has grown large it is rewritten
    /// from `current` (every release still relevant) instead.
    func append(_ ranges: [ClosedRange<UInt64>], current: SequenceSet) throws(StorageError) {
        guard !ranges.isEmpty else { return }
        if bytes + ranges.count * Self.entrySize > Self.compactAt {
            try rewrite(current)
            return
        }
        let encoded = Self.encode(ranges)
        try file.write(encoded, at: bytes)
        bytes += encoded.count
    }

    /// Replaces the log with `set`, atomically (temporary file, fsync, rename).
    func rewrite(_ set: SequenceSet) throws(StorageError) {
        let temporary = "\(path).new"
        let replacement = try StorageFile.open(temporary, create: true)
        try replacement.truncate(to: 0)
        let encoded = Self.encode(set.ranges)
        try replacement.write(encoded, at: 0)
        try replacement.sync()
        try StorageFile.rename(temporary, to: path)
        file = replacement
        bytes = encoded.count
    }

    func descriptorForSync() throws(StorageError) -> (Int32, String) {
        (try file.duplicateDescriptor(), path)
    }

    private static func encode(_ ranges: [ClosedRange<UInt64>]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ranges.count * entrySize)
        for range in ranges {
            let start = out.count
            withUnsafeBytes(of: range.lowerBound.littleEndian) { out.append(contentsOf: $0) }
            withUnsafeBytes(of: range.upperBound.littleEndian) { out.append(contentsOf: $0) }
            let checksum = CRC32C.checksum(out[start...])
            withUnsafeBytes(of: checksum.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }
}
