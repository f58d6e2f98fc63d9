/// Everything needed to reach one MQTT broker.
public struct MQTTConfiguration: Sendable, Equatable {
    public enum ProtocolVersion: String, Sendable, Equatable {
        case v311 = "3.1.1"
        case v5 = "5"
    }

    /// TLS settings; `nil` in ``MQTTConfiguration/tls`` means plain TCP.
    public struct TLS: Sendable, Equatable {
        /// CA certificate file used to verify the server; `nil` uses the system's trust store.
        public var caFile: String?
        /// Client certificate and key for X.509 authentication.
        public var certFile: String?
        public var keyFile: String?
        /// Skips server certificate and host name verification. Only when the user opts out explicitly.
        public var insecure: Bool

        public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, insecure: Bool = false) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecure = insecure
        }
    }

    public var host: String
    public var port: Int
    public var clientID: String?
    public var username: String?
    public var password: String?
    public var keepAliveSeconds: Int
    public var protocolVersion: ProtocolVersion
    public var tls: TLS?
    /// Reconnect back-off after a lost or failed connection.
    public var reconnect: Backoff
    /// Delay before retrying after the broker refused our credentials (CONNACK 4/5):
    /// a configuration error, so retrying quickly would only be noise.
    public var refusedRetryDelaySeconds: Double
    /// Received messages (bytes) that may wait for the consumer of `events`; beyond it new
    /// messages are dropped (and logged) until the consumer catches up.
    public var maxBufferedInboundBytes: Int = 16 << 20

    public init(
        host: String, port: Int, clientID: String? = nil, username: String? = nil, password: String? = nil,
        keepAliveSeconds: Int = 60, protocolVersion: ProtocolVersion = .v5, tls: TLS? = nil,
        reconnect: Backoff = Backoff(initialSeconds: 1, maximumSeconds: 60),
        refusedRetryDelaySeconds: Double = 60
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.username = username
        self.password = password
        self.keepAliveSeconds = keepAliveSeconds
        self.protocolVersion = protocolVersion
        self.tls = tls
        self.reconnect = reconnect
        self.refusedRetryDelaySeconds = refusedRetryDelaySeconds
    }

    /// "host:port", as used in every message about this connection.
    public var endpoint: String { "\(host):\(port)" }
}
