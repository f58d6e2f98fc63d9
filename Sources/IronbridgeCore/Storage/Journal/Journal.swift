import Logging

/// The durable half of the store: append-only segment files `segment-<first sequence>.log`
/// in one folder. Records are appended with one write per batch; whole segments are deleted
/// once every record in them was released or dropped. Segment *i* holds the sequences from
/// its own first up to the next segment's first; the last (active) one up to `nextSequence`.
///
/// Not thread-safe: ``UploadBuffer`` owns it and calls it under its lock.
final class Journal {
    struct Segment {
        var firstSequence: UInt64
        var path: String
        var bytes: Int
        /// Unix ms of the last write (the file's mtime when opened): the age used for the TTL.
        var modifiedAt: Int64
    }

    /// Damage found in a segment: the bytes were copied aside and the records in them are lost.
    struct Damage: Sendable {
        var file: String
        var offset: Int
        var bytes: Int
        var lostRecords: UInt64
        /// The sequences that were in the damaged bytes (empty for a torn last record, whose sequence is reused).
        var lostSequences: Range<UInt64>
        var setAsideAs: String?
    }

    let folder: String
    private(set) var segments: [Segment] = []
    private(set) var nextSequence: UInt64
    /// The sequence after the last record found on disk when opened (below `nextSequence`
    /// if released sequences that never reached the disk were skipped).
    let recoveredEnd: UInt64
    private var active: StorageFile
    private var activeRecords = 0
    private let maxSegmentRecords: Int
    private let maxSegmentBytes: Int
    private var cursor: (segment: UInt64, offset: Int, sequence: UInt64)?
    private var reportedDamage: Set<String> = []
    /// Set when a segment was created or deleted: the folder needs an fsync too.
    var folderChanged = false

    /// Opens the folder (creating it), checks the newest segment record by record, sets
    /// aside a torn or damaged tail, and starts a new active segment.
    /// - Parameter minimumNext: the next sequence must not be below this (the highest released + 1).
    init(folder: String, maxSegmentRecords: Int, maxSegmentBytes: Int, minimumNext: UInt64,
         onDamage: (Damage) -> Void) throws(StorageError) {
        self.folder = folder
        self.maxSegmentRecords = max(1, maxSegmentRecords)
        self.maxSegmentBytes = max(4096, maxSegmentBytes)
        try StorageFile.makeFolder(folder)
        var found: [Segment] = []
        for name in try StorageFile.list(folder) {
            guard let first = Self.sequence(inName: name) else { continue }
            let path = "\(folder)/\(name)"
            let file = try StorageFile.open(path, create: false)
            found.append(Segment(firstSequence: first, path: path, bytes: try file.size, modifiedAt: Self.modificationTime(path)))
        }
        found.sort { $0.firstSequence < $1.firstSequence }
        var end: UInt64 = 1
        var damagedAtOpen: Set<String> = []
        // The newest segment with records is the one a crash may have torn: check it record by record.
        // Empty segments after it (opened, then the gateway stopped) are removed.
        while let last = found.last {
            let (tailEnd, validBytes) = try Self.checkTail(of: last) { damage in
                damagedAtOpen.insert("\(damage.file)@\(damage.offset)")
                onDamage(damage)
            }
            end = max(end, tailEnd)
            if validBytes > JournalRecord.magic.count {
                found[found.count - 1].bytes = validBytes
                break
            }
            try StorageFile.remove(last.path)
            found.removeLast()
        }
        recoveredEnd = found.isEmpty ? max(end, minimumNext) : end
        nextSequence = max(end, minimumNext, 1)
        segments = found
        let (segment, file) = try Self.createSegment(in: folder, first: nextSequence)
        segments.append(segment)
        active = file
        folderChanged = true
        reportedDamage = damagedAtOpen
    }

    var totalBytes: Int { segments.reduce(0) { $0 + $1.bytes } }

    /// The sequences segment `index` holds.
    func range(ofSegment index: Int) -> Range<UInt64> {
        let end = index + 1 < segments.count ? segments[index + 1].firstSequence : nextSequence
        return segments[index].firstSequence..<max(end, segments[index].firstSequence)
    }

    // MARK: Writing

    /// Writes `count` framed records (sequences `nextSequence...`) in one write.
    /// On failure nothing of them stays in the file.
    func append(_ frames: [UInt8], count: Int, at time: Int64) throws(StorageError) {
        let index = segments.count - 1
        if activeRecords > 0 && (activeRecords + count > maxSegmentRecords || segments[index].bytes + frames.count > maxSegmentBytes) {
            try roll()
        }
        let last = segments.count - 1
        let offset = segments[last].bytes
        do {
            try active.write(frames, at: offset)
        } catch {
            try? active.truncate(to: offset)
            throw error
        }
        segments[last].bytes += frames.count
        segments[last].modifiedAt = time
        activeRecords += count
        nextSequence += UInt64(count)
    }

    /// Starts a new segment at `nextSequence`, skipping sequences that never reached the disk.
    func restart(at sequence: UInt64) throws(StorageError) {
        nextSequence = max(nextSequence, sequence)
        try roll()
    }

    private func roll() throws(StorageError) {
        let (segment, file) = try Self.createSegment(in: folder, first: nextSequence)
        if segments.last.map({ $0.bytes <= JournalRecord.magic.count }) ?? false {
            try? StorageFile.remove(segments.removeLast().path)
        }
        segments.append(segment)
        active = file
        activeRecords = 0
        folderChanged = true
    }

    private static func createSegment(in folder: String, first: UInt64) throws(StorageError) -> (Segment, StorageFile) {
        let path = "\(folder)/\(name(first))"
        let file = try StorageFile.open(path, create: true)
        try file.truncate(to: 0)
        try file.write(JournalRecord.magic, at: 0)
        return (Segment(firstSequence: first, path: path, bytes: JournalRecord.magic.count, modifiedAt: UnixTime.nowMilliseconds), file)
    }

    /// fsync of the active segment, on the caller's thread (`fsync_interval_ms` 0).
    func syncActive() throws(StorageError) { try active.sync() }

    /// Descriptors to fsync outside the lock: the active segment's (a duplicate, closed by the caller).
    func activeDescriptorForSync() throws(StorageError) -> (Int32, String) {
        (try active.duplicateDescriptor(), active.path)
    }

    // MARK: Deleting

    /// Deletes the oldest segments whose every sequence is below `floor` (never the active one).
    func deleteSegments(below floor: UInt64) throws(StorageError) {
        while segments.count > 1, range(ofSegment: 0).upperBound <= floor {
            try StorageFile.remove(segments[0].path)
            segments.removeFirst()
            folderChanged = true
        }
    }

    /// Deletes the oldest segment whatever it holds (rolling first if it is the active one)
    /// and returns the sequences it held.
    func dropOldestSegment() throws(StorageError) -> Range<UInt64> {
        if segments.count == 1 { try roll() }
        let dropped = range(ofSegment: 0)
        try StorageFile.remove(segments[0].path)
        segments.removeFirst()
        folderChanged = true
        return dropped
    }

    // MARK: Reading

    /// Reads the records with sequences in `from..<limit` that `skip` does not hold, at most
    /// `maxCount`, oldest first. Damage met on the way is set aside and reported once.
    func read(from: UInt64, below limit: UInt64, maxCount: Int, skipping skip: SequenceSet,
              onDamage: (Damage) -> Void) throws(StorageError) -> [(StoredUpload, storedAt: Int64)] {
        var result: [(StoredUpload, storedAt: Int64)] = []
        guard from < limit, maxCount > 0 else { return result }
        var index = segments.lastIndex { $0.firstSequence <= from } ?? 0
        while index < segments.count, result.count < maxCount {
            let span = range(ofSegment: index)
            if span.lowerBound >= limit { break }
            if span.upperBound > from {
                try read(segment: index, span: span, from: from, limit: limit, maxCount: maxCount, skip: skip, into: &result, onDamage: onDamage)
            }
            index += 1
        }
        return result
    }

    private func read(segment index: Int, span: Range<UInt64>, from: UInt64, limit: UInt64, maxCount: Int, skip: SequenceSet,
                      into result: inout [(StoredUpload, storedAt: Int64)], onDamage: (Damage) -> Void) throws(StorageError) {
        let segment = segments[index]
        let isActive = index == segments.count - 1
        let file = isActive ? active : try StorageFile.open(segment.path, create: false)
        var offset = JournalRecord.magic.count
        var expected = segment.firstSequence
        if let cursor, cursor.segment == segment.firstSequence, cursor.sequence <= from {
            offset = cursor.offset
            expected = cursor.sequence
        }
        let fileSize = isActive ? segment.bytes : try file.size
        var chunkSize = 1 << 20
        while offset < fileSize, result.count < maxCount, expected < limit {
            let chunk = try file.read(count: min(chunkSize, fileSize - offset), at: offset)
            var consumed = 0
            var needMore = false
            var stop = false
            chunk.withUnsafeBytes { bytes in
                while consumed < bytes.count, result.count < maxCount {
                    switch JournalRecord.parse(bytes, at: consumed) {
                    case .frame(let frame):
                        if frame.sequence >= limit { stop = true; return }
                        if frame.sequence >= from {
                            if cursor == nil || cursor!.segment != segment.firstSequence || cursor!.sequence < frame.sequence && frame.sequence == from {
                                cursor = (segment.firstSequence, offset + consumed, frame.sequence)
                            }
                            if !skip.contains(frame.sequence), let upload = try? UploadCodec.decode(UnsafeRawBufferPointer(rebasing: bytes[frame.body])) {
                                result.append((StoredUpload(sequence: frame.sequence, upload: upload), frame.storedAt))
                            }
                        }
                        expected = frame.sequence + 1
                        consumed += frame.length
                    case .incomplete where offset + bytes.count < fileSize:
                        needMore = true
                        return
                    case .incomplete, .invalid:
                        if let next = JournalRecord.resynchronise(bytes, after: consumed, above: expected == 0 ? nil : expected - 1) {
                            reportDamage(segment: segment, at: offset + consumed, bytes: UnsafeRawBufferPointer(rebasing: bytes[consumed..<next.offset]),
                                         lost: expected..<max(expected, next.sequence), onDamage: onDamage)
                            consumed = next.offset
                        } else if offset + bytes.count < fileSize {
                            needMore = true  // the next good record may lie beyond this chunk
                            return
                        } else {
                            reportDamage(segment: segment, at: offset + consumed, bytes: UnsafeRawBufferPointer(rebasing: bytes[consumed...]),
                                         lost: expected..<max(expected, span.upperBound), onDamage: onDamage)
                            consumed = bytes.count
                            stop = true
                            return
                        }
                    }
                }
            }
            offset += consumed
            if stop { break }
            if needMore {
                if consumed == 0 { chunkSize = min(chunkSize * 2, fileSize - offset + 1) ; if chunkSize > 64 << 20 { break } }
                continue
            }
        }
    }

    private func reportDamage(segment: Segment, at offset: Int, bytes: UnsafeRawBufferPointer, lost: Range<UInt64>, onDamage: (Damage) -> Void) {
        let key = "\(segment.path)@\(offset)"
        guard !reportedDamage.contains(key) else { return }
        reportedDamage.insert(key)
        let aside = "\(segment.path).damaged-at-\(offset)"
        var setAside: String? = aside
        do {
            let file = try StorageFile.open(aside, create: true)
            try file.truncate(to: 0)
            try file.write(bytes, at: 0)
        } catch {
            setAside = nil
        }
        onDamage(Damage(file: segment.path, offset: offset, bytes: bytes.count, lostRecords: UInt64(lost.count), lostSequences: lost, setAsideAs: setAside))
    }

    // MARK: Opening

    /// Checks every record of the newest segment: returns the sequence after its last good
    /// record and the length of the file up to there. A damaged or torn tail is copied aside
    /// and cut off, so that the file ends on a whole record.
    private static func checkTail(of segment: Segment, onDamage: (Damage) -> Void) throws(StorageError) -> (UInt64, Int) {
        let file = try StorageFile.open(segment.path, create: false)
        let bytes = try file.read(count: try file.size, at: 0)
        var offset = JournalRecord.magic.count
        var expected = segment.firstSequence
        var damage: [Damage] = []
        var cut: Int?
        bytes.withUnsafeBytes { raw in
            guard raw.count >= offset else { cut = 0; return }
            while offset < raw.count {
                switch JournalRecord.parse(raw, at: offset) {
                case .frame(let frame) where frame.sequence >= expected || offset == JournalRecord.magic.count:
                    expected = frame.sequence + 1
                    offset += frame.length
                case .frame, .incomplete, .invalid:
                    if let next = JournalRecord.resynchronise(raw, after: offset, above: expected - 1) {
                        let lost = expected..<max(expected, next.sequence)
                        damage.append(Damage(file: segment.path, offset: offset, bytes: next.offset - offset,
                                             lostRecords: UInt64(lost.count), lostSequences: lost, setAsideAs: nil))
                        offset = next.offset
                    } else {
                        cut = offset
                        return
                    }
                }
            }
        }
        for var found in damage {
            let aside = "\(segment.path).damaged-at-\(found.offset)"
            if (try? StorageFile.open(aside, create: true).write(Array(bytes[found.offset..<(found.offset + found.bytes)]), at: 0)) != nil {
                found.setAsideAs = aside
            }
            onDamage(found)
        }
        if let cut {
            let tailLength = bytes.count - cut
            var aside: String? = "\(segment.path).damaged-at-\(cut)"
            if tailLength > 0 {
                if (try? StorageFile.open(aside!, create: true).write(Array(bytes[cut...]), at: 0)) == nil { aside = nil }
                // A torn tail is the record being written when the process stopped: one record, never acknowledged as stored.
                onDamage(Damage(file: segment.path, offset: cut, bytes: tailLength, lostRecords: 1, lostSequences: expected..<expected, setAsideAs: aside))
            }
            try file.truncate(to: max(cut, min(bytes.count, JournalRecord.magic.count)))
            try file.sync()
            return (expected, max(cut, 0))
        }
        return (expected, bytes.count)
    }

    static func name(_ first: UInt64) -> String {
        let digits = String(first)
        return "segment-\(String(repeating: "0", count: max(0, 20 - digits.count)))\(digits).log"
    }

    static func sequence(inName name: String) -> UInt64? {
        guard name.hasPrefix("segment-"), name.hasSuffix(".log") else { return nil }
        return UInt64(name.dropFirst("segment-".count).dropLast(".log".count))
    }

    private static func modificationTime(_ path: String) -> Int64 {
        StorageFile.modificationTime(path) ?? UnixTime.nowMilliseconds
    }
}
