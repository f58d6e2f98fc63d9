import Logging

/// What a connector may do with the platform: report data and device state, and ask for
/// shared attributes. Safe to use from any task; reporting never waits for the network.
public final class ConnectorContext: Sendable {
    public let connectorName: String
    public let logger: Logger
    /// Where the connector reports device activity, Modbus round trips and its threads'
    /// heartbeats (`ironbridge status`, the systemd watchdog).
    public let monitor: GatewayMonitor
    private let store: any UploadStore
    private let registry: DeviceRegistry
    private let statistics: GatewayStatistics
    private let platform: PlatformLink?
    /// Sees every reported value and sends the configured device-to-device messages (docs/messages.md).
    private let messenger: Messenger?

    public init(connectorName: String, store: any UploadStore, registry: DeviceRegistry, statistics: GatewayStatistics,
                platform: PlatformLink?, logger: Logger, monitor: GatewayMonitor = GatewayMonitor(), messenger: Messenger? = nil) {
        self.messenger = messenger
        self.connectorName = connectorName
        self.monitor = monitor
        self.store = store
        self.registry = registry
        self.statistics = statistics
        self.platform = platform
        self.logger = logger
        statistics.errors.register(connector: connectorName)
    }

    // Reporting is synchronous and callable from any thread: a connector's own thread (a Modbus
    // line, a GPIO chip) hands what it read straight to the store, with no hop between threads;
    // the store wakes the sender, which batches what arrived meanwhile.

    /// Queues telemetry. A device the platform has not been told about is announced first.
    public func sendTelemetry(_ records: [TelemetryRecord]) {
        var uploads: [Upload] = []
        uploads.reserveCapacity(records.count + 1)
        for record in records where !record.values.isEmpty {
            monitor.valuesReceived(device: record.device, points: record.values.count)
            appendConnectIfNeeded(record.device, to: &uploads)
            uploads.append(.telemetry(record))
        }
        store.append(uploads)
        if let messenger {
            for record in records where !record.values.isEmpty {
                messenger.observe(device: record.device, timestamp: record.timestamp, points: record.values)
            }
        }
    }

    /// Queues client-side attributes of a device.
    public func sendAttributes(device: String, values: [DataPoint]) {
        guard !values.isEmpty else { return }
        monitor.valuesReceived(device: device, points: values.count)
        var uploads: [Upload] = []
        appendConnectIfNeeded(device, to: &uploads)
        uploads.append(.attributes(device: device, values: values))
        store.append(uploads)
        messenger?.observe(device: device, timestamp: nil, points: values)
    }

    /// Queues one reading of a device (telemetry stamped `timestampMs`, and attributes) in one
    /// append: the poll path of a connector.
    public func report(device: String, timestampMs: Int64, telemetry: [DataPoint], attributes: [DataPoint]) {
        guard !telemetry.isEmpty || !attributes.isEmpty else { return }
        monitor.valuesReceived(device: device, points: telemetry.count + attributes.count)
        var uploads: [Upload] = []
        uploads.reserveCapacity(3)
        appendConnectIfNeeded(device, to: &uploads)
        if !telemetry.isEmpty { uploads.append(.telemetry(TelemetryRecord(device: device, timestamp: timestampMs, values: telemetry))) }
        if !attributes.isEmpty { uploads.append(.attributes(device: device, values: attributes)) }
        store.append(uploads)
        if let messenger {
            if !telemetry.isEmpty { messenger.observe(device: device, timestamp: timestampMs, points: telemetry) }
            if !attributes.isEmpty { messenger.observe(device: device, timestamp: nil, points: attributes) }
        }
    }

    /// Tells the platform the device is reachable (sends `connect` unless it was already sent).
    public func deviceConnected(_ device: String) {
        monitor.deviceReachable(device, true)
        var uploads: [Upload] = []
        appendConnectIfNeeded(device, to: &uploads)
        store.append(uploads)
    }

    /// Tells the platform the device is unreachable (`disconnect`), once.
    public func deviceDisconnected(_ device: String) {
        monitor.deviceReachable(device, false)
        guard registry.markDisconnected(device) else { return }
        store.append([.disconnect(device: device)])
    }

    /// Asks the platform for shared attributes of `device`.
    public func requestSharedAttributes(device: String, keys: [String], timeout: Duration = .seconds(10)) async throws -> [String: JSONValue] {
        guard let platform else { return [:] }
        return try await platform.requestAttributes(device: device, keys: keys, shared: true, timeout: timeout)
    }

    /// Counts an error of this connector for `gateway_stats` and `<name>_ERRORS_COUNT`.
    public func recordError() { statistics.connectorError(connectorName) }

    /// Counts an error of this connector, and of `device` for `ironbridge status`.
    public func recordError(device: String) {
        statistics.connectorError(connectorName)
        monitor.deviceError(device)
    }

    private func appendConnectIfNeeded(_ device: String, to uploads: inout [Upload]) {
        registry.touch(device)
        if registry.markConnected(device) {
            uploads.append(.connect(device: device, type: registry.record(configuredName: device)?.type ?? "default"))
        }
    }
}
