import Synchronization

/// Bounds the bytes of received messages waiting between the network thread and the one
/// consumer of ``MQTTClient/events``. When the consumer falls that far behind (a flood from the
/// platform), further messages are dropped and counted instead of growing this process
/// without bound. (Waiting instead would stall the network thread, which the consumer's own
/// publishes need: a deadlock.)
final class InboundBudget: Sendable {
    private struct State {
        var buffered = 0
        var dropped: UInt64 = 0
        var droppedReported: UInt64 = 0
        var lastReport: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) { self.limit = max(1, limit) }

    /// Takes `bytes` of the budget; false (and counted) when it is spent. A message larger than
    /// the whole budget is taken when nothing else waits.
    func reserve(_ bytes: Int) -> Bool {
        state.withLock { s in
            guard s.buffered == 0 || s.buffered + bytes <= limit else {
                s.dropped += 1
                return false
            }
            s.buffered += bytes
            return true
        }
    }

    /// Messages dropped since the last call, at most one report every 10 s: for one log line.
    func droppedToReport() -> UInt64? {
        state.withLock { s in
            let now = ContinuousClock.now
            guard s.dropped > s.droppedReported, s.lastReport.map({ now - $0 >= .seconds(10) }) ?? true else { return nil }
            defer { s.droppedReported = s.dropped; s.lastReport = now }
            return s.dropped - s.droppedReported
        }
    }

    /// Bytes of messages waiting now.
    var current: Int { state.withLock { $0.buffered } }

    /// Gives back what a consumed message took.
    func release(_ bytes: Int) {
        state.withLock { $0.buffered = max(0, $0.buffered - bytes) }
    }
}

/// The events of an ``MQTTClient``: an `AsyncStream` whose received messages give their bytes
/// back to the client's inbound budget as the consumer takes them.
public struct MQTTEvents: AsyncSequence, Sendable {
    public typealias Element = MQTTEvent
    let stream: AsyncStream<MQTTEvent>
    let budget: InboundBudget

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<MQTTEvent>.AsyncIterator
        let budget: InboundBudget

        public mutating func next() async -> MQTTEvent? {
            let event = await base.next()
            if case .message(let message) = event { budget.release(message.payload.count) }
            return event
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: stream.makeAsyncIterator(), budget: budget) }
}
