import CMosquitto

/// A failed MQTT operation: what we tried, against which broker, and libmosquitto's code.
public struct MQTTError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The client is not connected: nothing was handed to libmosquitto.
        case notConnected
        /// The client was stopped before the operation completed.
        case stopped
        /// The broker answered a PUBLISH with an MQTT 5 failure reason code (e.g. 151 quota exceeded).
        case rejected(reasonCode: Int)
        /// libmosquitto returned an error code.
        case library(code: Int32)
        /// The payload exceeds what the broker or the session allows.
        case payloadTooLarge(size: Int, limit: Int)
    }

    public var operation: String
    public var endpoint: String
    public var kind: Kind

    public init(operation: String, endpoint: String, kind: Kind) {
        self.operation = operation
        self.endpoint = endpoint
        self.kind = kind
    }

    public var description: String {
        let cause: String
        switch kind {
        case .notConnected: cause = "not connected"
        case .stopped: cause = "the MQTT client was stopped"
        case .rejected(let code):
            cause = "the broker rejected it with reason code \(code) (\(String(cString: mosquitto_reason_string(Int32(code)))))"
        case .library(let code):
            cause = String(cString: mosquitto_strerror(code)) + " (libmosquitto error \(code))"
        case .payloadTooLarge(let size, let limit): cause = "payload of \(size) bytes exceeds the limit of \(limit)"
        }
        return "\(operation) on \(endpoint) failed: \(cause)"
    }
}
