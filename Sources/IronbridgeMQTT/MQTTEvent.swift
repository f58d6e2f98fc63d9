/// A message received from the broker. The payload was copied out of libmosquitto's
/// buffer inside the callback, so it outlives it.
public struct MQTTMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]

    public init(topic: String, payload: [UInt8]) {
        self.topic = topic
        self.payload = payload
    }

    public var payloadString: String { String(decoding: payload, as: UTF8.self) }
}

/// What happens on the connection, in order, as seen by libmosquitto's network thread.
public enum MQTTEvent: Sendable, Equatable {
    /// CONNACK accepted, and every subscription acknowledged (SUBACK) again.
    case connected(sessionPresent: Bool)
    /// The broker answered CONNACK with a refusal (bad credentials, not authorised, ...).
    case refused(MQTTConnectRefusal)
    /// The TCP/TLS connection could not be made; a retry follows after `retryInSeconds`.
    case connectFailed(reason: String, retryInSeconds: Double)
    /// An established connection was lost or closed.
    case disconnected(reason: String)
    case message(MQTTMessage)
}

/// A CONNACK refusal, with the code as the broker sent it (MQTT 3.1.1 codes 1-5 or MQTT 5 reason codes).
public struct MQTTConnectRefusal: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case badCredentials, notAuthorized, serverUnavailable, other
    }

    public var code: Int
    public var endpoint: String
    public var retryInSeconds: Double

    public init(code: Int, endpoint: String, retryInSeconds: Double) {
        self.code = code
        self.endpoint = endpoint
        self.retryInSeconds = retryInSeconds
    }

    public var kind: Kind {
        switch code {
        case 4, 0x86: .badCredentials
        case 5, 0x87: .notAuthorized
        case 3, 0x88: .serverUnavailable
        default: .other
        }
    }

    public var description: String {
        let what: String
        switch kind {
        case .badCredentials:
            what = "the credentials were rejected by \(endpoint) (bad user name or password; for ThingsBoard: is the access token empty?)"
        case .notAuthorized:
            what = "the access token was rejected by \(endpoint) (not authorised: check the gateway's access token or credentials)"
        case .serverUnavailable:
            what = "\(endpoint) refused the connection: server unavailable"
        case .other:
            what = "\(endpoint) refused the connection"
        }
        return "\(what) [CONNACK \(code)]; retrying in \(Int(retryInSeconds.rounded())) s"
    }
}
