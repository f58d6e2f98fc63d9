import Logging

/// A sub-device as configured: its configured name and its device type (profile) on the platform.
public struct DeviceInfo: Sendable, Equatable {
    public var name: String
    public var type: String

    public init(name: String, type: String) {
        self.name = name
        self.type = type
    }
}

/// A server-side RPC addressed to one of a connector's devices.
public struct RPCCall: Sendable, Equatable {
    /// The device's configured name (renames already undone).
    public var device: String
    public var id: Int64
    public var method: String
    /// `params` as sent; a string holding JSON has already been parsed.
    public var params: JSONValue

    public init(device: String, id: Int64, method: String, params: JSONValue) {
        self.device = device
        self.id = id
        self.method = method
        self.params = params
    }
}

/// What `ironbridge check` prints about a connector.
public struct ConnectorSummary: Sendable {
    public struct Device: Sendable {
        public var name: String
        public var type: String
        public var telemetryKeys: [String]
        public var attributeKeys: [String]
        public var rpcMethods: [String]
        /// Connector-specific lines, e.g. the planned Modbus requests.
        public var details: [String]

        public init(name: String, type: String, telemetryKeys: [String], attributeKeys: [String], rpcMethods: [String], details: [String] = []) {
            self.name = name
            self.type = type
            self.telemetryKeys = telemetryKeys
            self.attributeKeys = attributeKeys
            self.rpcMethods = rpcMethods
            self.details = details
        }
    }

    public var devices: [Device]

    public init(devices: [Device]) { self.devices = devices }
}

/// A source of sub-devices: Modbus slaves, GPIO lines, ...
///
/// The gateway calls `run(context:)` once, in its own child task; it returns when the task is
/// cancelled (graceful shutdown), after releasing the hardware. `handleRPC` and
/// `handleAttributeUpdate` may be called concurrently with `run` and with each other; each
/// connector serialises access to its hardware itself.
public protocol Connector: AnyObject, Sendable {
    var name: String { get }
    var type: String { get }
    var devices: [DeviceInfo] { get }
    var summary: ConnectorSummary { get }

    func run(context: ConnectorContext) async

    /// Executes an RPC and returns the reply's `data` object. Called at most once per request;
    /// the gateway answers with an error of its own if this does not return before the deadline.
    func handleRPC(_ call: RPCCall) async -> JSONValue

    /// A shared attribute update for `device` (configured name).
    func handleAttributeUpdate(device: String, values: [String: JSONValue]) async

    /// The reply `data` for an error (timeouts, unknown methods). Default: `{"error": message}`.
    func errorReply(_ message: String) -> JSONValue

    /// The device-to-device messages its configuration declares (docs/messages.md). Default: none.
    var messageRules: [MessageRule] { get }

    /// An RPC sent to the gateway itself whose method names this connector's type
    /// (`<type>_<name>`, e.g. `modbus_get`): the reply, or nil when it is not for this
    /// connector (see ``ConnectorRPCRouter``). Default: nil.
    func handleConnectorRPC(method: String, params: JSONValue) async -> JSONValue?
}

extension Connector {
    public var messageRules: [MessageRule] { [] }
    public func errorReply(_ message: String) -> JSONValue { ["error": .string(message)] }
    public func handleAttributeUpdate(device: String, values: [String: JSONValue]) async {}
    public func handleConnectorRPC(method: String, params: JSONValue) async -> JSONValue? { nil }
}

/// Builds connectors of one type from their configuration files.
public protocol ConnectorFactory: Sendable {
    /// The `type` in config.json's `connectors[]` ("modbus", "gpio").
    var type: String { get }
    /// Reads the connector's configuration; problems go to `configuration.diagnostics`.
    /// Returns nil when the configuration has errors.
    func makeConnector(name: String, configuration: ConfigNode, gateway: GatewayConfig, logger: Logger) -> (any Connector)?
}
