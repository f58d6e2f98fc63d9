import DequeModule
import IronbridgeSystem
import Logging

/// The store between connectors and the platform (``UploadStore``), in memory or durable.
///
/// Every record gets the next sequence number and lives in `memory`, a contiguous run of the
/// newest sequences. The memory store keeps everything there. The durable store also writes
/// every record to a ``Journal`` on disk, in one write per `append`, and keeps only a tail of
/// recent records in memory; older ones are read back from disk. If the disk cannot be
/// written (full, read-only, failing), new records stay in memory (up to
/// `memoryFallbackRecords`) and go to disk once it works again.
///
/// A record is pending until released (acknowledged by the broker) or dropped (a limit).
/// `floor` is the lowest pending sequence; `released` holds released or dropped sequences
/// above it. Releases are persisted in a ``ReleaseLog``, so a restart resends only what was
/// not acknowledged. Thread-safe: all state is behind one lock, and file writes happen under
/// it so that the order on disk is the order of sequences; fsyncs happen outside it, on the
/// maintenance thread (``StoreMaintenance``).
public final class UploadBuffer: UploadStore {
    struct Entry {
        var stored: StoredUpload
        var storedAt: Int64
        var onDisk: Bool
    }

    struct State {
        var memory = Deque<Entry>()
        var next: UInt64 = 1
        var floor: UInt64 = 1
        var released = SequenceSet()
        /// Set while a backlog drains: records from here on are "live" and a share of each window.
        var liveFrom: UInt64?
        var journal: Journal?
        var releaseLog: ReleaseLog?
        var diskError: StorageError?
        var dropped: UInt64 = 0
        var corrupted: UInt64 = 0
        var fsyncs: UInt64 = 0
        var lastDiskAttempt: Int64 = 0
        var episode = DropEpisode()
        var scratch: [UInt8] = []
        /// Lines to log once the lock is released.
        var messages: [(Logger.Level, String)] = []

        var memoryFirst: UInt64 { memory.first?.stored.sequence ?? next }
        var pendingCount: UInt64 { next > floor ? (next - floor) - released.count(in: floor..<next) : 0 }
    }

    let configuration: StorageConfig
    /// Everything, behind one lock; the sender waits on it for data.
    let state: AsyncState<State>
    let logger: Logger?
    /// Recent records kept in memory by the durable store (the live share and the next reads come from here).
    let cacheRecords: Int
    private let maintenance: StoreMaintenance?

    deinit { maintenance?.stop() }

    /// A memory-only store of at most `capacity` records.
    public convenience init(capacity: Int, logger: Logger? = nil) {
        precondition(capacity > 0, "store capacity must be positive")
        self.init(configuration: .memory(maxRecords: capacity), logger: logger)
    }

    /// Opens the store `configuration` describes. A durable store whose folder cannot be used
    /// starts in memory, says why, and keeps trying the disk.
    public init(configuration: StorageConfig, logger: Logger?) {
        self.configuration = configuration
        self.logger = logger
        cacheRecords = max(2 * configuration.readRecordsCount, 2000)
        state = AsyncState(State())
        if configuration.isDurable {
            maintenance = StoreMaintenance(syncInterval: configuration.fsyncInterval, ttlCheckPeriod: configuration.ttlCheckPeriod)
            state.withLock { s in openDisk(&s) }
            flushMessages()
            maintenance?.start(self)
        } else {
            maintenance = nil
        }
    }

    /// Flushes what was written (fsync) and stops the maintenance thread. Idempotent.
    public func close() {
        maintenance?.stop()
        if configuration.isDurable { syncToDisk() }
        state.withLock { s in
            if let line = s.episode.close(at: UnixTime.nowMilliseconds, force: true) { s.messages.append((.warning, line)) }
        }
        flushMessages()
    }

    // MARK: UploadStore

    public func append(_ uploads: [Upload]) {
        guard !uploads.isEmpty else { return }
        state.withLock { s in
            let now = UnixTime.nowMilliseconds
            let first = s.next
            var onDisk = false
            if let journal = s.journal, s.diskError == nil {
                s.scratch.removeAll(keepingCapacity: true)
                for (offset, upload) in uploads.enumerated() {
                    JournalRecord.append(sequence: first + UInt64(offset), storedAt: now, upload: upload, to: &s.scratch)
                }
                do {
                    try journal.append(s.scratch, count: uploads.count, at: now)
                    if configuration.fsyncInterval == .zero { try journal.syncActive() ; s.fsyncs += 1 }
                    onDisk = true
                } catch {
                    enterMemoryFallback(&s, error)
                }
            }
            for upload in uploads {
                s.memory.append(Entry(stored: StoredUpload(sequence: s.next, upload: upload), storedAt: now, onDisk: onDisk))
                s.next += 1
            }
            enforceRecordAndByteLimits(&s, now: now)
            trimMemory(&s, now: now)
        }
        flushMessages()
    }

    public func release(_ sequences: SequenceSet) async {
        state.withLock { s in
            var fresh: [ClosedRange<UInt64>] = []
            for range in sequences.ranges where range.upperBound >= s.floor {
                let lower = max(range.lowerBound, s.floor)
                if s.released.count(in: lower..<(range.upperBound + 1)) == range.upperBound - lower + 1 { continue }
                fresh.append(lower...range.upperBound)
                s.released.insert(lower...range.upperBound)
            }
            guard !fresh.isEmpty else { return }
            advanceFloor(&s)
            persistReleases(&s, fresh)
            trimMemory(&s, now: UnixTime.nowMilliseconds)
        }
        flushMessages()
    }

    public func waitForData() async {
        await state.wait(until: { $0.pendingCount > 0 })
    }

    public func statistics() async -> StoreStatistics { statisticsNow() }

    public func statisticsNow() -> StoreStatistics {
        state.withLock { s in
            var result = StoreStatistics()
            result.type = configuration.kind.rawValue
            result.pending = Int(s.pendingCount)
            result.dropped = s.dropped
            result.corrupted = s.corrupted
            result.bytesOnDisk = (s.journal?.totalBytes ?? 0) + (s.releaseLog?.bytes ?? 0)
            result.fsyncs = s.fsyncs
            result.draining = s.liveFrom != nil
            result.diskError = s.diskError?.description
            if s.pendingCount > 0 {
                let oldest = s.floor >= s.memoryFirst ? s.memory[Int(s.floor - s.memoryFirst)].storedAt : s.journal?.segments.first?.modifiedAt
                if let oldest { result.oldestAgeSeconds = Double(max(0, UnixTime.nowMilliseconds - oldest)) / 1000 }
            }
            return result
        }
    }

    // MARK: Bookkeeping (under the lock)

    /// Moves `floor` past released sequences and forgets what lies below it.
    func advanceFloor(_ s: inout State) {
        s.floor = min(s.released.firstGap(atOrAbove: s.floor), s.next)
        s.released.removeAll(below: s.floor)
        if let live = s.liveFrom, s.floor >= live { s.liveFrom = nil }
        if let journal = s.journal {
            do { try journal.deleteSegments(below: s.floor) } catch { enterMemoryFallback(&s, error) }
        }
    }

    /// Marks `range` dropped: counts what in it was still pending.
    func drop(_ range: Range<UInt64>, _ s: inout State, reason: String, now: Int64) {
        let lower = max(range.lowerBound, s.floor)
        guard lower < range.upperBound else { return }
        let count = (range.upperBound - lower) - s.released.count(in: lower..<range.upperBound)
        s.released.insert(lower...(range.upperBound - 1))
        s.dropped += count
        if let line = s.episode.record(count, reason: reason, at: now) { s.messages.append((.warning, line)) }
        advanceFloor(&s)
    }

    /// Keeps memory within its bounds: records below the floor go, cached records that are on
    /// disk go beyond `cacheRecords`, and beyond the memory limit the oldest are dropped.
    func trimMemory(_ s: inout State, now: Int64) {
        while let first = s.memory.first, first.stored.sequence < s.floor { s.memory.removeFirst() }
        while s.memory.count > cacheRecords, let first = s.memory.first, first.onDisk { s.memory.removeFirst() }
        let limit = configuration.isDurable ? configuration.memoryFallbackRecords : configuration.maxRecordsCount
        if s.memory.count > limit {
            let excess = s.memory.count - limit
            let from = s.memory[0].stored.sequence
            let reason = configuration.isDurable ? "\(limit) records kept in memory while the disk cannot be written" : "\(limit) records"
            drop(from..<(from + UInt64(excess)), &s, reason: reason, now: now)
            while let first = s.memory.first, first.stored.sequence < from + UInt64(excess) { s.memory.removeFirst() }
        }
    }

    /// The durable limits on records and bytes: drops whole segments, oldest first.
    func enforceRecordAndByteLimits(_ s: inout State, now: Int64) {
        // Only what is on disk counts here; records kept in memory while the disk fails have their own bound.
        guard let journal = s.journal, s.diskError == nil else { return }
        for _ in 0..<100_000 {
            let overRecords = s.pendingCount > UInt64(configuration.maxRecordsCount)
            let overBytes = journal.totalBytes > configuration.maxBytes
            guard overRecords || overBytes, s.diskError == nil else { return }
            let reason = overRecords ? "max_records_count \(configuration.maxRecordsCount) reached"
                                     : "max_disk_mb \(configuration.maxBytes >> 20) reached"
            let before = (s.pendingCount, journal.totalBytes)
            dropOldestSegment(&s, reason: reason, now: now)
            if (s.pendingCount, journal.totalBytes) == before { return }
        }
    }

    func dropOldestSegment(_ s: inout State, reason: String, now: Int64) {
        guard let journal = s.journal else { return }
        do {
            let range = try journal.dropOldestSegment()
            drop(range, &s, reason: reason, now: now)
        } catch {
            enterMemoryFallback(&s, error)
        }
    }

    func persistReleases(_ s: inout State, _ ranges: [ClosedRange<UInt64>]) {
        guard let log = s.releaseLog, s.diskError == nil else { return }
        do { try log.append(ranges, current: s.released) } catch { enterMemoryFallback(&s, error) }
    }

    /// Logs what was collected under the lock.
    func flushMessages() {
        let messages = state.withLock { s in
            defer { s.messages.removeAll() }
            return s.messages
        }
        for (level, line) in messages { logger?.log(level: level, "\(line)") }
    }
}
