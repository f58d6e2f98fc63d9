import IronbridgeCore
import IronbridgeModbus
import Logging

/// Modbus TCP/RTU slaves as ThingsBoard sub-devices, configured like the Python
/// gateway's Modbus connector. Each line (host:port or serial device) has its own
/// thread (``ModbusLineWorker``); this type routes data, RPCs and attribute updates.
public final class ModbusConnector: Connector {
    public let name: String
    public let type = "modbus"
    public let devices: [DeviceInfo]
    let configs: [ModbusDeviceConfig]
    let logger: Logger
    private let workers: [ModbusLineWorker]
    private let workerOfDevice: [String: ModbusLineWorker]
    private let configOfDevice: [String: ModbusDeviceConfig]
    private let events: AsyncStream<ModbusEvent>
    private let eventSink: AsyncStream<ModbusEvent>.Continuation
    /// The `slave` section: the gateway's own Modbus server, served while the connector runs.
    let slave: ModbusSlaveSection?
    /// The connector file's `id` (the platform's gateway UI sends it as `connectorId`).
    let configurationId: String?

    init(name: String, devices configs: [ModbusDeviceConfig], slave: ModbusSlaveSection? = nil, configurationId: String? = nil, logger: Logger) {
        self.name = name
        self.configurationId = configurationId
        self.slave = slave
        self.configs = configs
        self.logger = logger
        self.devices = configs.map { DeviceInfo(name: $0.name, type: $0.type) }
        let (events, sink) = AsyncStream.makeStream(of: ModbusEvent.self, bufferingPolicy: .unbounded)
        self.events = events
        self.eventSink = sink
        // Group devices by line (the endpoint's description identifies the medium);
        // stagger first polls across all devices so that they do not fire together.
        var order: [String] = []
        var byLine: [String: [(ModbusDeviceConfig, Int)]] = [:]
        for (index, device) in configs.enumerated() {
            let line = device.endpoint.description
            if byLine[line] == nil { order.append(line) }
            let offset = device.pollPeriodMs * index / max(configs.count, 1)
            byLine[line, default: []].append((device, offset))
        }
        var workerOfDevice: [String: ModbusLineWorker] = [:]
        workers = order.map { line in
            let members = byLine[line]!
            let worker = ModbusLineWorker(
                endpoint: members[0].0.endpoint, devices: members.map(\.0), startOffsetsMs: members.map(\.1),
                logger: logger)
            for (device, _) in members { workerOfDevice[device.name] = worker }
            return worker
        }
        self.workerOfDevice = workerOfDevice
        self.configOfDevice = Dictionary(configs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var messageRules: [MessageRule] { configs.flatMap { $0.polledKeys.flatMap(\.messages) } }

    public var summary: ConnectorSummary {
        ConnectorSummary(devices: configs.map(\.summary))
    }

    func config(of device: String) -> ModbusDeviceConfig? { configOfDevice[device] }
    func worker(of device: String) -> ModbusLineWorker? { workerOfDevice[device] }

    public func run(context: ConnectorContext) async {
        logger.info("Modbus connector '\(name)': \(configs.count) device(s) on \(workers.count) line(s)")
        let server = slave.flatMap(startSlaveServer)
        defer { _ = server?.stop() }
        let output = lineOutput(context: context)
        for worker in workers { worker.start(monitor: context.monitor, output: output) }
        await withDiscardingTaskGroup { group in
            // Only what needs the async side comes here: shared attributes after a (re)connect.
            for await event in events {
                guard case .connected(let device) = event, let config = configOfDevice[device],
                      !config.attributeUpdates.isEmpty else { continue }
                group.addTask { await self.applySharedAttributes(of: config, context: context) }
            }
            group.cancelAll()
        }
        for worker in workers { await worker.stop() }
        logger.info("Modbus connector '\(name)' stopped")
    }

    /// What the line threads call with a poll's outcome. It runs on the line thread and hands the
    /// values straight to the store (one append per poll, no hop to another thread), so data and
    /// reachability reach the store in the order they happened.
    private func lineOutput(context: ConnectorContext) -> ModbusLineWorker.Output {
        let logger = logger
        let sink = eventSink
        return { event in
            switch event {
            case .data(let device, let timestamp, let telemetry, let attributes):
                context.report(device: device, timestampMs: timestamp, telemetry: telemetry, attributes: attributes)
            case .connected(let device):
                logger.info("Modbus device '\(device)' is reachable")
                context.deviceConnected(device)
                sink.yield(event)
            case .disconnected(let device):
                logger.warning("Modbus device '\(device)' is unreachable")
                context.deviceDisconnected(device)
            case .failure(let device):
                context.recordError(device: device)
            }
        }
    }

    /// Starts the gateway's own Modbus server with its initial values; nil (logged) when it cannot.
    private func startSlaveServer(_ slave: ModbusSlaveSection) -> ModbusServer? {
        do {
            let server = try ModbusServer(slave.transport)
            for value in slave.initial {
                switch value {
                case .registers(let table, let address, let registers): server.setRegisters(table, at: address, registers)
                case .bits(let table, let address, let bits): server.setBits(table, at: address, bits)
                }
            }
            logger.info("Modbus connector '\(name)': serving as a Modbus slave on \(server.endpoint)")
            return server
        } catch {
            logger.error("Modbus connector '\(name)': cannot serve as a Modbus slave: \(error)")
            return nil
        }
    }

    /// On (re)connect: asks the platform for the shared attributes that are configured
    /// as `attributeUpdates` and writes them, so the hardware matches the platform.
    private func applySharedAttributes(of device: ModbusDeviceConfig, context: ConnectorContext) async {
        let keys = device.attributeUpdates.map(\.tag)
        // The platform link may still be connecting: a few attempts, 1 s apart, 3 s each.
        for attempt in 1...5 {
            do {
                let values = try await context.requestSharedAttributes(device: device.name, keys: keys, timeout: .seconds(3))
                if !values.isEmpty { await handleAttributeUpdate(device: device.name, values: values) }
                return
            } catch {
                if Task.isCancelled { return }
                if attempt == 5 {
                    logger.warning("Modbus device '\(device.name)': could not get shared attributes \(keys): \(error)")
                    return
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    public func handleAttributeUpdate(device: String, values: [String: JSONValue]) async {
        guard let config = configOfDevice[device] else { return }
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let target = config.attributeUpdates.first(where: { $0.tag == key }) else { continue }
            switch await write(value, to: target, of: config) {
            case .success:
                logger.debug("Modbus device '\(device)': wrote attribute '\(key)' = \(PlatformText.clip(value))")
            case .failure(let error):
                logger.warning("Modbus device '\(device)': attribute '\(key)' not written: \(error.message)")
            }
        }
    }

    public func errorReply(_ message: String) -> JSONValue {
        ["result": ["error": .string(message)]]
    }
}

extension ModbusDeviceConfig {
    var summary: ConnectorSummary.Device {
        var details = ["line \(endpoint) (\(endpointKind)), unit \(unitId), poll every \(pollPeriodMs) ms, timeout \(timeoutMs) ms, report \(reportStrategy)"]
        if let plan = try? readPlan() {
            details.append("reads: \(plan.requests.count) request(s) per poll for \(plan.items.count) key(s)")
            for request in plan.requests {
                let tags = request.itemIndices.map { plan.items[$0].key }.joined(separator: ", ")
                let unit = request.function.accessesBits ? "bits" : "registers"
                details.append("  FC\(request.function.rawValue) \(unit) \(request.address)..\(request.address + request.count - 1) (\(request.count)): \(tags)")
            }
        }
        for key in attributeUpdates {
            details.append("attribute update '\(key.tag)': FC\(key.functionCode.rawValue) \(key.codec.type) at \(key.address)")
        }
        return ConnectorSummary.Device(
            name: name, type: type, telemetryKeys: timeseries.map(\.tag), attributeKeys: attributes.map(\.tag),
            rpcMethods: ["get", "set"] + rpc.map(\.tag), details: details)
    }

    private var endpointKind: String {
        switch endpoint {
        case .tcp: "TCP"
        case .rtu(let s): "RTU \(s.baudRate) \(s.dataBits)\(s.parity.rawValue)\(s.stopBits)"
        case .ascii: "ASCII"
        case .tls: "TLS"
        }
    }
}
