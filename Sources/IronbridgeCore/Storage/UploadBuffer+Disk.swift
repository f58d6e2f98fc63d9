import Logging
#if canImport(Glibc)
import Glibc
#endif

extension UploadBuffer {
    /// How often a store that cannot use its disk tries again.
    static let diskRetryMilliseconds: Int64 = 10_000

    /// Opens the journal (at start, or later if the folder was unusable), or restarts writing
    /// after a failure; then writes the records that were kept in memory meanwhile.
    func openDisk(_ s: inout State) {
        let folder = configuration.folder
        let firstMemoryOnly = s.memory.first(where: { !$0.onDisk })?.stored.sequence ?? s.next
        let previousError = s.diskError
        do {
            if s.journal == nil {
                try StorageFile.makeFolder(folder)
                let (log, released) = try ReleaseLog.open(folder: folder)
                var damage: [Journal.Damage] = []
                let journal = try Journal(
                    folder: folder, maxSegmentRecords: configuration.maxRecordsPerFile, maxSegmentBytes: configuration.maxFileBytes,
                    minimumNext: max(firstMemoryOnly, (released.max ?? 0) + 1)) { damage.append($0) }
                for found in damage { recordDamage(found, &s) }
                let hadMemory = !s.memory.isEmpty
                s.released.formUnion(released)
                if journal.recoveredEnd < journal.nextSequence {
                    s.released.insert(journal.recoveredEnd...(journal.nextSequence - 1))
                }
                if let oldest = journal.segments.first?.firstSequence {
                    s.floor = hadMemory ? min(s.floor, oldest) : oldest
                }
                if !hadMemory { s.next = journal.nextSequence }
                s.journal = journal
                s.releaseLog = log
                advanceFloor(&s)
                let waiting = s.pendingCount
                s.messages.append((.info, "storage: durable journal in \(folder)" + (waiting > 0 ? ": \(waiting) records waiting from before, \(journal.totalBytes >> 10) KiB" : "")))
            } else if let journal = s.journal {
                if journal.nextSequence < firstMemoryOnly {
                    s.released.insert(journal.nextSequence...(firstMemoryOnly - 1))
                }
                try journal.restart(at: firstMemoryOnly)
            }
            try writeMemoryOnly(&s)
            s.diskError = nil
            if let previousError {
                s.messages.append((.notice, "storage: \(folder) can be written again (it failed with: \(previousError)); records kept in memory meanwhile are on disk now"))
            }
            advanceFloor(&s)
            try s.releaseLog?.rewrite(s.released)
        } catch {
            enterMemoryFallback(&s, error)
        }
    }

    /// Writes the records that are only in memory (a suffix of it) to the journal.
    private func writeMemoryOnly(_ s: inout State) throws(StorageError) {
        guard let journal = s.journal, let start = s.memory.firstIndex(where: { !$0.onDisk }) else { return }
        var index = start
        while index < s.memory.count {
            let end = min(index + 10_000, s.memory.count)
            s.scratch.removeAll(keepingCapacity: true)
            for entry in s.memory[index..<end] {
                JournalRecord.append(sequence: entry.stored.sequence, storedAt: entry.storedAt, upload: entry.stored.upload, to: &s.scratch)
            }
            try journal.append(s.scratch, count: end - index, at: UnixTime.nowMilliseconds)
            for position in index..<end { s.memory[position].onDisk = true }
            index = end
        }
    }

    /// The disk failed: from now on new records stay in memory (and are still forwarded).
    func enterMemoryFallback(_ s: inout State, _ error: any Error) {
        let storageError = error as? StorageError ?? StorageError(operation: "use", path: configuration.folder, errno: EIO)
        if s.diskError == nil {
            s.messages.append((.error, "storage: \(storageError); new data is kept in memory (up to \(configuration.memoryFallbackRecords) records) and still forwarded to the platform; the disk is tried again every \(Self.diskRetryMilliseconds / 1000) s"))
            if s.journal == nil, s.memory.isEmpty {
                // Sequences far above anything a journal found later can hold, so the two never meet.
                s.next = max(s.next, UInt64(max(0, UnixTime.nowMilliseconds)) << 10)
                s.floor = s.next
            }
        }
        s.diskError = storageError
    }

    /// fsync of what was written since the last one, outside the lock.
    func syncToDisk() {
        var targets: [(Int32, String)] = []
        var folderChanged = false
        state.withLock { s in
            guard s.diskError == nil, let journal = s.journal else { return }
            if let target = try? journal.activeDescriptorForSync() { targets.append(target) }
            if let target = try? s.releaseLog?.descriptorForSync() { targets.append(target) }
            folderChanged = journal.folderChanged
            journal.folderChanged = false
        }
        var failure: StorageError?
        for (descriptor, path) in targets {
            do { try StorageFile.syncDescriptor(descriptor, path: path) } catch { failure = error }
            StorageFile.closeDescriptor(descriptor)
        }
        if folderChanged {
            do { try StorageFile.syncFolder(configuration.folder) } catch { failure = error }
        }
        state.withLock { s in
            s.fsyncs += UInt64(targets.count + (folderChanged ? 1 : 0))
            if let failure { enterMemoryFallback(&s, failure) }
        }
    }

    /// Called by the maintenance thread about once a second: retries a failed disk, keeps
    /// the minimum free space, applies the TTL, and closes a quiet drop episode.
    func housekeeping(checkTTL: Bool) {
        let free = StorageFile.freeBytes(configuration.folder)
        state.withLock { s in
            let now = UnixTime.nowMilliseconds
            if s.diskError != nil, now - s.lastDiskAttempt >= Self.diskRetryMilliseconds {
                s.lastDiskAttempt = now
                openDisk(&s)
            }
            if let journal = s.journal, s.diskError == nil {
                if let free, free < configuration.minFreeBytes {
                    // Free what we can: segments past the active one, oldest first, until the reserve is back.
                    var freed = 0
                    while journal.segments.count > 1, free + freed < configuration.minFreeBytes {
                        freed += journal.segments[0].bytes
                        dropOldestSegment(&s, reason: "less than min_free_disk_mb (\(configuration.minFreeBytes >> 20) MiB) free where \(configuration.folder) is", now: now)
                    }
                }
                if checkTTL, let ttl = configuration.ttl {
                    let cutoff = now - Int64(ttl.components.seconds * 1000)
                    while journal.segments.count > 1, journal.segments[0].modifiedAt < cutoff {
                        dropOldestSegment(&s, reason: "records older than messages_ttl_in_days", now: now)
                    }
                }
            }
            if let line = s.episode.close(at: now) { s.messages.append((.warning, line)) }
        }
        flushMessages()
    }
}
