import Synchronization

/// Messages sent to the platform and waiting for its answer. The upload sender asks it for the
/// request of each stored message as it sends it (`prepare`): an id is given, the deadline
/// starts, and a message past its expiry is not sent at all. The link hands answers in
/// (`resolve`); whoever owns it reads the outcomes from `outcomes` and calls `sweep` to time out
/// the silent ones. A message sent again after a reconnect replaces its earlier attempt.
public final class MessageOutbox: Sendable {
    public enum Outcome: Sendable, Equatable {
        case answered(JSONValue)
        case timedOut
        case expired
    }

    public struct Result: Sendable {
        public var message: DeviceMessage
        public var outcome: Outcome
        /// The request id on `v1/devices/me/rpc/request/{id}` (nil when it was never sent).
        public var requestID: Int64?
        /// Time from sending to the outcome.
        public var elapsed: Duration
    }

    private struct Pending {
        var message: DeviceMessage
        var sentAt: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
    }

    private struct State {
        var byID: [Int64: Pending] = [:]
        var idByUID: [Int64: Int64] = [:]
        /// Far from the link's own request ids (1e9 up) and from the small ids the server uses.
        var nextID: Int64 = 3_000_000_000
    }

    private let state = Mutex(State())
    public let outcomes: AsyncStream<Result>
    private let input: AsyncStream<Result>.Continuation

    public init() {
        (outcomes, input) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
    }

    /// The topic and payload to publish for `message`, or nil when it expired (reported as `.expired`).
    func prepare(_ message: DeviceMessage, senderPlatformName: String, nowMs: Int64 = UnixTime.nowMilliseconds,
                 now: ContinuousClock.Instant = .now) -> (topic: String, payload: [UInt8])? {
        if nowMs > message.expiresMs {
            input.yield(Result(message: message, outcome: .expired, requestID: nil, elapsed: .zero))
            return nil
        }
        let id = state.withLock { s in
            if let earlier = s.idByUID[message.uid] { s.byID.removeValue(forKey: earlier) }
            let id = s.nextID
            s.nextID += 1
            s.byID[id] = Pending(message: message, sentAt: now, deadline: now + .milliseconds(message.timeoutMs))
            s.idByUID[message.uid] = id
            return id
        }
        return (Topic.gatewayRPCRequestPrefix + String(id), message.request(senderPlatformName: senderPlatformName).jsonBytes)
    }

    /// An answer on `v1/devices/me/rpc/response/{id}`; false when no message waits for `id`.
    @discardableResult
    public func resolve(id: Int64, with answer: JSONValue, now: ContinuousClock.Instant = .now) -> Bool {
        guard let pending = take(id) else { return false }
        input.yield(Result(message: pending.message, outcome: .answered(answer), requestID: id, elapsed: now - pending.sentAt))
        return true
    }

    public func isPending(_ id: Int64) -> Bool { state.withLock { $0.byID[id] != nil } }

    /// Times out the messages whose answer is overdue.
    public func sweep(now: ContinuousClock.Instant = .now) {
        let overdue: [(Int64, Pending)] = state.withLock { s in
            let due = s.byID.filter { $0.value.deadline <= now }
            for (id, pending) in due {
                s.byID.removeValue(forKey: id)
                s.idByUID.removeValue(forKey: pending.message.uid)
            }
            return due.sorted { $0.key < $1.key }
        }
        for (id, pending) in overdue {
            input.yield(Result(message: pending.message, outcome: .timedOut, requestID: id, elapsed: now - pending.sentAt))
        }
    }

    public func finish() { input.finish() }

    private func take(_ id: Int64) -> Pending? {
        state.withLock { s in
            guard let pending = s.byID.removeValue(forKey: id) else { return nil }
            s.idByUID.removeValue(forKey: pending.message.uid)
            return pending
        }
    }
}
