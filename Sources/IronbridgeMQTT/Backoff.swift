/// Exponential back-off with jitter: attempt n waits a random time in
/// [d/2, d] where d = min(maximum, initial * 2^n). The jitter keeps a fleet of gateways
/// from reconnecting in lockstep after a broker restart.
public struct Backoff: Sendable, Equatable {
    public var initialSeconds: Double
    public var maximumSeconds: Double

    public init(initialSeconds: Double, maximumSeconds: Double) {
        precondition(initialSeconds > 0 && maximumSeconds >= initialSeconds, "back-off bounds must satisfy 0 < initial <= maximum")
        self.initialSeconds = initialSeconds
        self.maximumSeconds = maximumSeconds
    }

    /// The ceiling of the delay before retry number `attempt` (0-based).
    public func ceiling(attempt: Int) -> Double {
        let exponent = Double(min(attempt, 30))
        return min(maximumSeconds, initialSeconds * pow2(exponent))
    }

    /// A jittered delay before retry number `attempt` (0-based).
    public func delay<R: RandomNumberGenerator>(attempt: Int, using generator: inout R) -> Double {
        let ceiling = ceiling(attempt: attempt)
        return Double.random(in: (ceiling / 2)...ceiling, using: &generator)
    }

    public func delay(attempt: Int) -> Double {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) { value *= 2 }
        return value
    }
}
