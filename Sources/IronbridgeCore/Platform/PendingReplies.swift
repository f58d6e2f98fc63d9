import Synchronization

/// Requests waiting for an answer correlated by id (attribute requests, client-side RPCs).
/// The id is registered before the request is sent, so an answer that arrives before the
/// waiter is ready is kept, not lost. Each waiter is resumed exactly once.
final class PendingReplies: Sendable {
    struct Timeout: Error, Sendable {}

    private enum Slot {
        case expecting
        case waiting(CheckedContinuation<JSONValue, any Error>)
        case answered(JSONValue)
    }

    private let slots = Mutex<[Int64: Slot]>([:])

    /// Registers `id`, runs `send` (which publishes the request), and waits up to `timeout` for `resolve(id:with:)`.
    func wait(id: Int64, timeout: Duration, send: @Sendable () async throws -> Void) async throws -> JSONValue {
        slots.withLock { $0[id] = .expecting }
        defer { slots.withLock { _ = $0.removeValue(forKey: id) } }
        try await send()
        return try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            group.addTask { try await self.answer(id: id) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let answer = first else {
                throw Timeout()
            }
            return answer
        }
    }

    private func answer(id: Int64) async throws -> JSONValue? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JSONValue, any Error>) in
                // The cancellation handler may have run before this body: then nobody would resume
                // a stored continuation, so a cancelled task never stores one.
                let ready: JSONValue?? = slots.withLock { s in
                    switch s[id] {
                    case .answered(let value): return .some(value)
                    case .expecting where !Task.isCancelled: s[id] = .waiting(continuation); return .none
                    case .expecting, .waiting, nil: return .some(nil)
                    }
                }
                switch ready {
                case .none: break
                case .some(let value?): continuation.resume(returning: value)
                case .some(nil): continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let waiter: CheckedContinuation<JSONValue, any Error>? = slots.withLock { s in
                guard case .waiting(let continuation) = s[id] else { return nil }
                s[id] = .expecting
                return continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Delivers an answer; false when nobody expects `id` (late, duplicate or foreign).
    @discardableResult
    func resolve(id: Int64, with value: JSONValue) -> Bool {
        let (expected, waiter): (Bool, CheckedContinuation<JSONValue, any Error>?) = slots.withLock { s in
            switch s[id] {
            case .expecting: s[id] = .answered(value); return (true, nil)
            case .waiting(let continuation): s[id] = .answered(value); return (true, continuation)
            case .answered, nil: return (false, nil)
            }
        }
        waiter?.resume(returning: value)
        return expected
    }

    func isPending(_ id: Int64) -> Bool { slots.withLock { $0[id] != nil } }
}
