/// An upload together with its position in the store.
public struct StoredUpload: Sendable, Equatable {
    public var sequence: UInt64
    public var upload: Upload
}

public struct StoreStatistics: Sendable, Equatable {
    /// Records waiting to be delivered.
    public var pending: Int
    /// Records dropped because the store was full.
    public var dropped: UInt64
}

/// Where uploads wait between the connectors and the platform: the seam between producers
/// and the sender. A batch leaves the store only when `release` is called for it, after
/// the broker acknowledged it; until then it is handed out again by `peek`, in order.
/// A durable on-disk store implements the same protocol.
public protocol UploadStore: Sendable {
    /// Appends uploads in order. When full, the oldest records are dropped and counted.
    func append(_ uploads: [Upload]) async
    /// The oldest undelivered uploads, at most `maxCount`, without removing them.
    func peek(maxCount: Int) async -> [StoredUpload]
    /// Removes every upload up to and including `sequence`.
    func release(through sequence: UInt64) async
    /// Returns when the store holds something, or when the calling task is cancelled.
    func waitForData() async
    func statistics() async -> StoreStatistics
}
