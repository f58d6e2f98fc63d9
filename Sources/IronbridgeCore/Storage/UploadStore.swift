/// An upload together with its position in the store.
public struct StoredUpload: Sendable, Equatable {
    public var sequence: UInt64
    public var upload: Upload

    public init(sequence: UInt64, upload: Upload) {
        self.sequence = sequence
        self.upload = upload
    }
}

/// What `gateway_stats` and the logs say about the store.
public struct StoreStatistics: Sendable, Equatable {
    /// `memory`, `file` or `sqlite` (the last two are the same durable journal).
    public var type: String = "memory"
    /// Records waiting to be delivered.
    public var pending: Int = 0
    /// Records dropped because a limit (records, bytes, age, free disk, memory) was reached.
    public var dropped: UInt64 = 0
    /// Records lost to damaged store files (set aside when found).
    public var corrupted: UInt64 = 0
    /// Bytes of the journal on disk (0 for the memory store).
    public var bytesOnDisk: Int = 0
    /// Age in seconds of the oldest record waiting, if any.
    public var oldestAgeSeconds: Double?
    /// fsync calls made so far.
    public var fsyncs: UInt64 = 0
    /// True while a backlog is delivered oldest first with live data interleaved.
    public var draining = false
    /// Why the disk is not used right now (new data is then kept in memory), if it is not.
    public var diskError: String?

    public init() {}
}

/// Where uploads wait between the connectors and the platform: the seam between producers
/// and the sender. A record leaves the store only when `release` names it, after the broker
/// acknowledged the batch that carried it; until then `peek` hands it out again.
public protocol UploadStore: Sendable {
    /// Appends uploads in order; callable from any thread, never waits for the network. When a
    /// limit is reached, the oldest records are dropped and counted.
    func append(_ uploads: [Upload])
    /// The next records to send, at most `maxCount`, without removing them: the oldest first;
    /// while a backlog drains, a share of the newest telemetry comes first (see docs/storage.md).
    func peek(maxCount: Int) async -> [StoredUpload]
    /// Removes the records with these sequences: the broker acknowledged them.
    func release(_ sequences: SequenceSet) async
    /// Returns when the store holds something, or when the calling task is cancelled.
    func waitForData() async
    func statistics() async -> StoreStatistics
}
