import DequeModule
import Logging
import Synchronization

/// A bounded in-memory ``UploadStore``. Anything in it is lost if the process dies;
/// a durable store will take its place behind the same protocol.
public final class MemoryUploadStore: UploadStore {
    private struct State {
        var items = Deque<StoredUpload>()
        var nextSequence: UInt64 = 1
        var dropped: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
        var droppedReported: UInt64 = 0
        var lastDropReport: ContinuousClock.Instant?
    }

    public let capacity: Int
    private let state = Mutex(State())
    private let logger: Logger?

    /// - Parameter logger: where drops are reported (at most every 10 s).
    public init(capacity: Int, logger: Logger? = nil) {
        precondition(capacity > 0, "store capacity must be positive")
        self.capacity = capacity
        self.logger = logger
    }

    public func append(_ uploads: [Upload]) async { appendNow(uploads) }

    /// The synchronous form of `append`, usable from any thread.
    public func appendNow(_ uploads: [Upload]) {
        guard !uploads.isEmpty else { return }
        let (waiters, newlyDropped): ([CheckedContinuation<Void, Never>], UInt64) = state.withLock { s in
            for upload in uploads {
                s.items.append(StoredUpload(sequence: s.nextSequence, upload: upload))
                s.nextSequence += 1
            }
            let excess = s.items.count - capacity
            var report: UInt64 = 0
            if excess > 0 {
                s.items.removeFirst(excess)
                s.dropped += UInt64(excess)
                let now = ContinuousClock.now
                if s.lastDropReport.map({ now - $0 >= .seconds(10) }) ?? true {
                    report = s.dropped - s.droppedReported
                    s.droppedReported = s.dropped
                    s.lastDropReport = now
                }
            }
            defer { s.waiters = [:] }
            return (Array(s.waiters.values), report)
        }
        for waiter in waiters { waiter.resume() }
        if newlyDropped > 0 {
            logger?.warning("the buffer is full (\(capacity) records): dropped the \(newlyDropped) oldest; raise storage.max_records_count or restore the link to the platform")
        }
    }

    public func peek(maxCount: Int) async -> [StoredUpload] {
        state.withLock { Array($0.items.prefix(maxCount)) }
    }

    public func release(through sequence: UInt64) async {
        state.withLock { s in
            while let first = s.items.first, first.sequence <= sequence { s.items.removeFirst() }
        }
    }

    public func waitForData() async {
        let id = state.withLock { s in
            defer { s.nextWaiter += 1 }
            return s.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s in
                    if !s.items.isEmpty || Task.isCancelled { return true }
                    s.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    public func statistics() async -> StoreStatistics {
        state.withLock { StoreStatistics(pending: $0.items.count, dropped: $0.dropped) }
    }
}
