import IronbridgeSystem

/// Requests waiting for an answer correlated by id (attribute requests, client-side RPCs).
/// The id is registered before the request is sent, so an answer that arrives before the
/// waiter is ready is kept, not lost. Each id takes one answer.
final class PendingReplies: Sendable {
    struct Timeout: Error, Sendable {}

    private enum Slot {
        case expecting
        case answered(JSONValue)

        var answer: JSONValue? {
            if case .answered(let value) = self { return value }
            return nil
        }
    }

    private let slots = AsyncState<[Int64: Slot]>([:])

    /// Registers `id`, runs `send` (which publishes the request), and waits up to `timeout` for `resolve(id:with:)`.
    func wait(id: Int64, timeout: Duration, send: @Sendable () async throws -> Void) async throws -> JSONValue {
        slots.withLock { $0[id] = .expecting }
        defer { slots.withLock { _ = $0.removeValue(forKey: id) } }
        try await send()
        return try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            group.addTask { await self.slots.wait(for: { $0[id]?.answer }) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let answer = first else {
                try Task.checkCancellation()
                throw Timeout()
            }
            return answer
        }
    }

    /// Delivers an answer; false when nobody expects `id` (late, duplicate or foreign).
    @discardableResult
    func resolve(id: Int64, with value: JSONValue) -> Bool {
        slots.withLock { s in
            guard case .expecting = s[id] else { return false }
            s[id] = .answered(value)
            return true
        }
    }

    func isPending(_ id: Int64) -> Bool { slots.withLock { $0[id] != nil } }
}
