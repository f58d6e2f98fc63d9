extension UploadBuffer {
    /// The next window to send. Normally the oldest pending records. When more is pending
    /// than one window holds (a backlog after an outage or a restart), the store marks where
    /// the backlog ends (`liveFrom`): each window then starts with up to a quarter of newer
    /// telemetry, oldest first, and fills the rest from the backlog, oldest first. Attributes
    /// and disconnects never overtake older records, and nothing newer overtakes them.
    /// When the backlog is delivered,
    /// windows are plain oldest-first again.
    public func peek(maxCount: Int) async -> [StoredUpload] { peekNow(maxCount: maxCount) }

    public func peekNow(maxCount: Int) -> [StoredUpload] {
        let window = state.withLock { s -> [StoredUpload] in
            guard maxCount > 0, s.pendingCount > 0 else { return [] }
            if s.liveFrom == nil, s.pendingCount > UInt64(maxCount) {
                s.liveFrom = s.next
                s.messages.append((.info, "storage holds \(s.pendingCount) records for the platform: delivering them oldest first, with live data interleaved"))
            }
            var window = liveShare(&s, quota: max(1, maxCount / 4))
            let limit = s.liveFrom ?? s.next
            let head = oldest(&s, below: limit, maxCount: maxCount - window.count)
            if s.liveFrom != nil, head.count < maxCount - window.count { s.liveFrom = nil }
            window.append(contentsOf: head)
            return window
        }
        flushMessages()
        return window
    }

    /// Telemetry (and `connect`, which must precede a new device's telemetry and is harmless
    /// twice) appended since the backlog was marked, still pending, from memory, up to the first
    /// pending attributes or disconnect record: those must not overtake older records, and no
    /// telemetry may overtake them.
    private func liveShare(_ s: inout State, quota: Int) -> [StoredUpload] {
        guard let live = s.liveFrom else { return [] }
        var share: [StoredUpload] = []
        var index = Int(max(live, s.memoryFirst) - s.memoryFirst)
        while index < s.memory.count, share.count < quota {
            let entry = s.memory[index].stored
            index += 1
            if s.released.contains(entry.sequence) { continue }
            switch entry.upload {
            case .telemetry, .connect: share.append(entry)
            case .attributes, .disconnect, .message: return share
            }
        }
        return share
    }

    /// Pending records from `floor` up to `limit`, oldest first: from disk below the memory
    /// tail, then from memory.
    private func oldest(_ s: inout State, below limit: UInt64, maxCount: Int) -> [StoredUpload] {
        var result: [StoredUpload] = []
        guard maxCount > 0 else { return result }
        let diskLimit = min(s.memoryFirst, limit)
        if s.floor < diskLimit, let journal = s.journal {
            do {
                var damage: [Journal.Damage] = []
                result = try journal.read(from: s.floor, below: diskLimit, maxCount: maxCount, skipping: s.released) { damage.append($0) }.map(\.0)
                for found in damage { recordDamage(found, &s) }
                if !damage.isEmpty { advanceFloor(&s) }
            } catch {
                unreadableSegment(&s, error)
            }
        }
        var index = Int(max(s.floor, s.memoryFirst) - s.memoryFirst)
        while result.count < maxCount, index < s.memory.count {
            let entry = s.memory[index].stored
            index += 1
            if entry.sequence >= limit { break }
            if !s.released.contains(entry.sequence) { result.append(entry) }
        }
        return result
    }

    func recordDamage(_ damage: Journal.Damage, _ s: inout State) {
        s.corrupted += damage.lostRecords
        if !damage.lostSequences.isEmpty {
            // Lost records are settled: they will never be read, so they stop counting as pending.
            s.released.insert(damage.lostSequences.lowerBound...(damage.lostSequences.upperBound - 1))
        }
        let aside = damage.setAsideAs.map { "copied to \($0)" } ?? "could not be copied aside"
        s.messages.append((.error, "storage: \(damage.file) is damaged at byte \(damage.offset) (\(damage.bytes) bytes fail their checksum): \(damage.lostRecords) record(s) lost; the damaged bytes were \(aside); the store goes on with the records that follow"))
    }

    /// A segment that cannot be read at all: what it held is counted as lost, and it is deleted.
    private func unreadableSegment(_ s: inout State, _ error: StorageError) {
        guard let journal = s.journal, journal.segments.count > 1 else { return }
        let range = journal.range(ofSegment: 0)
        let lost = (range.upperBound - max(range.lowerBound, s.floor)) - s.released.count(in: max(range.lowerBound, s.floor)..<range.upperBound)
        s.corrupted += lost
        s.messages.append((.error, "storage: \(error); its \(lost) pending record(s) are lost"))
        _ = try? journal.dropOldestSegment()
        s.released.insert(range.lowerBound...(range.upperBound - 1))
        advanceFloor(&s)
    }
}
