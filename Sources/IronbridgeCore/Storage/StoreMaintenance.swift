import IronbridgeSystem

/// The durable store's own thread: fsyncs what was written every `fsync_interval_ms`, and
/// about once a second runs the store's housekeeping. fsync can block for a long time on an
/// SD card, so it runs here, never on a connector's thread or the cooperative pool.
final class StoreMaintenance: @unchecked Sendable {
    // @unchecked: `stopping` and `running` are only touched with `condition` locked.
    private let condition = ThreadCondition()
    private var stopping = false
    private var running = false
    private let syncInterval: Duration
    private let ttlCheckPeriod: Duration

    init(syncInterval: Duration, ttlCheckPeriod: Duration) {
        self.syncInterval = syncInterval
        self.ttlCheckPeriod = ttlCheckPeriod
    }

    /// Starts the thread. It holds the store weakly and ends when the store goes away or on `stop()`.
    func start(_ store: UploadBuffer) {
        condition.lock()
        running = true
        condition.unlock()
        let thread = SystemThread { [weak store, self] in
            self.loop(store)
            self.condition.lock()
            self.running = false
            self.condition.broadcast()
            self.condition.unlock()
        }
        thread.name = "ironbridge-storage"
        thread.start()
    }

    /// Stops the thread and waits (at most 10 s) for it to finish.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        let deadline = SystemClock.monotonicNanoseconds() + 10_000_000_000
        while running, condition.wait(untilNanoseconds: deadline) {}
    }

    private func loop(_ weakStore: UploadBuffer?) {
        weak let store = weakStore
        let tick = syncInterval == .zero ? Duration.seconds(1) : min(syncInterval, .seconds(1))
        let clock = ContinuousClock()
        var lastSync = clock.now
        var lastHousekeeping = clock.now
        var lastTTL = clock.now - ttlCheckPeriod
        while true {
            condition.lock()
            if !stopping { condition.wait(nanoseconds: tick.clampedNanoseconds) }
            let stop = stopping
            condition.unlock()
            guard !stop, let current = store else { return }
            let now = clock.now
            if syncInterval != .zero, now - lastSync >= syncInterval {
                lastSync = now
                current.syncToDisk()
            }
            if now - lastHousekeeping >= .seconds(1) {
                lastHousekeeping = now
                let checkTTL = now - lastTTL >= ttlCheckPeriod
                if checkTTL { lastTTL = now }
                current.housekeeping(checkTTL: checkTTL)
            }
        }
    }
}
