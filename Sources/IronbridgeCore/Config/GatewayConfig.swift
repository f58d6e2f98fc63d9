import FoundationEssentials
import IronbridgeMQTT
import Logging

/// The gateway's main configuration (`config.json`), shaped like the Python gateway's
/// `tb_gateway.json` for the keys we support. Every key is documented in README.md.
public struct GatewayConfig: Sendable {
    public var file: URL
    public var thingsboard: ThingsBoardConfig
    public var storage: StorageConfig
    public var connectors: [ConnectorEntry]
    public var logLevel: Logger.Level
    /// Where the gateway keeps its state (the device registry); relative paths are resolved against config.json's folder.
    public var dataFolder: URL
    /// Gateway-level default report strategy for connectors that honour one.
    public var reportStrategy: JSONValue?
    /// Disconnect devices on the platform after this long without data (nil: never).
    public var inactivityTimeout: Duration?
    public var inactivityCheckPeriod: Duration
    /// Statistics, remote logging, reboot policy and provisioning (``GatewayUIConfig``).
    public var ui = GatewayUIConfig()

    /// The folder of config.json, against which connector files and the data folder are resolved.
    public var folder: URL { file.deletingLastPathComponent() }
}

public struct ThingsBoardConfig: Sendable, Equatable {
    public enum Security: Sendable, Equatable {
        case accessToken(String)
        case usernamePassword(clientID: String?, username: String?, password: String?)
        case tlsAccessToken(String, caFile: String?)
        case x509Certificate(caFile: String?, certFile: String, keyFile: String)
    }

    public var host: String
    public var port: Int
    public var qos: Int
    public var keepAliveSeconds: Int
    public var security: Security
    /// Skip TLS server verification (only when the user says so explicitly).
    public var tlsInsecure: Bool
    public var protocolVersion: MQTTConfiguration.ProtocolVersion
    /// The gateway's own deadline for answering one RPC.
    public var rpcTimeoutMs: Int
    /// How long to wait for the server's answer to getSessionLimits before using defaults.
    public var sessionLimitsTimeoutMs: Int
    /// Largest payload we send before the server tells us its limit.
    public var maxPayloadSizeBytes: Int
    /// QoS 1 messages in flight before the server tells us its limit.
    public var maxInflightMessages: Int
    /// Delay before reconnecting after the server refused the credentials (CONNACK 4/5).
    public var refusedRetryDelaySeconds: Double
    public var reconnectMaxSeconds: Double
    public var clientID: String?
    /// Messages from the platform larger than this are refused before they are parsed.
    public var maxIncomingMessageBytes: Int = 1 << 20
    /// RPCs waiting for their reply, in total and per device; beyond them an RPC is answered `busy` at once.
    public var maxPendingRPCs: Int = 512
    public var maxPendingRPCsPerDevice: Int = 32
    /// ThingsBoard's gateway UI may read and change the configuration (docs/remote-configuration.md).
    public var remoteConfiguration: Bool = false
    /// How long a `general_configuration` received from the UI has to connect before it is rolled back.
    public var remoteConfigurationConfirmSeconds: Double = 60
    /// While data keeps coming, the sender publishes at most once per this interval, so that the
    /// polls that arrive meanwhile share one batch (`minPackSendDelayMS`, as in the Python gateway).
    public var minPackSendDelayMs: Int = 50

    public var mqttConfiguration: MQTTConfiguration {
        var configuration = MQTTConfiguration(
            host: host, port: port, clientID: clientID, keepAliveSeconds: keepAliveSeconds, protocolVersion: protocolVersion,
            reconnect: Backoff(initialSeconds: 1, maximumSeconds: max(1, reconnectMaxSeconds)),
            refusedRetryDelaySeconds: refusedRetryDelaySeconds)
        configuration.maxBufferedInboundBytes = max(4 * maxIncomingMessageBytes, 16 << 20)
        switch security {
        case .accessToken(let token):
            configuration.username = token
        case .usernamePassword(let clientID, let username, let password):
            configuration.clientID = clientID ?? configuration.clientID
            configuration.username = username
            configuration.password = password
        case .tlsAccessToken(let token, let caFile):
            configuration.username = token
            configuration.tls = .init(caFile: caFile, insecure: tlsInsecure)
        case .x509Certificate(let caFile, let certFile, let keyFile):
            configuration.tls = .init(caFile: caFile, certFile: certFile, keyFile: keyFile, insecure: tlsInsecure)
        }
        return configuration
    }
}

public struct StorageConfig: Sendable, Equatable {
    /// `memory` keeps records in RAM only; `file` and `sqlite` are the same durable journal
    /// on disk (docs/storage.md says why one implementation serves both).
    public enum Kind: String, Sendable { case memory, file, sqlite }
    public var kind: Kind
    /// How many records one read from storage may take for the platform.
    public var readRecordsCount: Int
    /// Capacity in records; when full, the oldest records are dropped and counted.
    public var maxRecordsCount: Int
    /// The journal's folder (durable kinds), resolved against config.json's folder.
    public var folder: String
    /// Most bytes the journal may take on disk; the oldest segments are dropped beyond it.
    public var maxBytes: Int
    /// Records older than this are dropped (durable kinds; nil: kept until delivered or displaced).
    public var ttl: Duration?
    /// How often the TTL is checked.
    public var ttlCheckPeriod: Duration
    /// Most time between a record being stored and being flushed to the medium (fsync).
    public var fsyncInterval: Duration
    /// A segment file is closed after this many records or bytes.
    public var maxRecordsPerFile: Int
    public var maxFileBytes: Int
    /// The store leaves this much free on the data folder's file system, dropping the oldest data if needed.
    public var minFreeBytes: Int
    /// Records kept in memory while the disk cannot be written (full, read-only, failing).
    public var memoryFallbackRecords: Int

    public init(kind: Kind, readRecordsCount: Int, maxRecordsCount: Int, folder: String, maxBytes: Int, ttl: Duration?,
                ttlCheckPeriod: Duration, fsyncInterval: Duration, maxRecordsPerFile: Int, maxFileBytes: Int, minFreeBytes: Int,
                memoryFallbackRecords: Int) {
        self.kind = kind
        self.readRecordsCount = readRecordsCount
        self.maxRecordsCount = maxRecordsCount
        self.folder = folder
        self.maxBytes = maxBytes
        self.ttl = ttl
        self.ttlCheckPeriod = ttlCheckPeriod
        self.fsyncInterval = fsyncInterval
        self.maxRecordsPerFile = maxRecordsPerFile
        self.maxFileBytes = maxFileBytes
        self.minFreeBytes = minFreeBytes
        self.memoryFallbackRecords = memoryFallbackRecords
    }

    public var isDurable: Bool { kind != .memory }

    /// One line for `ironbridge check`.
    public var summary: String {
        guard isDurable else {
            return "storage: memory (lost on restart), up to \(maxRecordsCount) records, \(readRecordsCount) per read"
        }
        let ttlText = ttl.map { "\(Double($0.components.seconds) / 86_400) days" } ?? "none"
        return "storage: \(kind.rawValue) (durable journal in \(folder)), up to \(maxRecordsCount) records, \(maxBytes >> 20) MiB, TTL \(ttlText), fsync every \(fsyncInterval), \(readRecordsCount) per read"
    }

    public static func memory(maxRecords: Int, readRecords: Int = 1000) -> StorageConfig {
        StorageConfig(kind: .memory, readRecordsCount: readRecords, maxRecordsCount: maxRecords, folder: "", maxBytes: 0, ttl: nil,
                      ttlCheckPeriod: .seconds(3600), fsyncInterval: .seconds(1), maxRecordsPerFile: 10_000, maxFileBytes: 8 << 20,
                      minFreeBytes: 0, memoryFallbackRecords: maxRecords)
    }
}

/// One entry of `connectors[]`: the connector's type and name, and its own configuration file.
public struct ConnectorEntry: Sendable {
    public var type: String
    public var name: String
    /// The configuration file as written in config.json, and resolved against config.json's folder.
    public var configurationPath: String
    public var configurationFile: URL
    /// The node of this entry in config.json (for error locations).
    public var entryPath: String
    /// `enableRemoteLogging` (default false): this connector's log lines go to the platform as
    /// `<name>_LOGS` (docs/gateway-ui.md, "Remote logging").
    public var enableRemoteLogging: Bool = false
}
