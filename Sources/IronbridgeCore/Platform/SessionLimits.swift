/// What the server allows this session (the answer to `getSessionLimits`), already scaled
/// to the 80 % we keep to, or our defaults when the server did not answer.
public struct SessionLimits: Sendable, Equatable {
    public var maxPayloadSize: Int
    public var maxInflightMessages: Int
    public var messages: RateLimit?
    public var telemetryMessages: RateLimit?
    public var telemetryDataPoints: RateLimit?

    public static let safetyFactor = 0.8

    public init(maxPayloadSize: Int, maxInflightMessages: Int, messages: RateLimit? = nil,
                telemetryMessages: RateLimit? = nil, telemetryDataPoints: RateLimit? = nil) {
        self.maxPayloadSize = maxPayloadSize
        self.maxInflightMessages = maxInflightMessages
        self.messages = messages
        self.telemetryMessages = telemetryMessages
        self.telemetryDataPoints = telemetryDataPoints
    }

    /// Reads the server's answer; keys it lacks keep the values of `defaults`.
    /// `gatewayRateLimits`, when present, apply instead of `rateLimits`.
    public init(answer: JSONValue, defaults: SessionLimits) {
        self = defaults
        let factor = Self.safetyFactor
        if let size = answer["maxPayloadSize"]?.intValue, size > 0 {
            maxPayloadSize = max(256, Int(Double(size) * factor))
        }
        if let inflight = answer["maxInflightMessages"]?.intValue, inflight > 0 {
            maxInflightMessages = max(1, Int(Double(inflight) * factor))
        }
        let limits = answer["gatewayRateLimits"]?.objectValue ?? answer["rateLimits"]?.objectValue ?? [:]
        func rate(_ key: String) -> RateLimit? { limits[key]?.stringValue.flatMap(RateLimit.init(parsing:))?.scaled(by: factor) }
        messages = rate("messages") ?? defaults.messages
        telemetryMessages = rate("telemetryMessages") ?? defaults.telemetryMessages
        telemetryDataPoints = rate("telemetryDataPoints") ?? defaults.telemetryDataPoints
    }
}
