import Logging

/// Answers the RPCs the platform sends to the gateway itself: ping, version, devices,
/// statistics, and the sub-device rename and delete notifications.
final class GatewayRPCService: GatewayRPCHandler {
    private let registry: DeviceRegistry
    private let statistics: GatewayStatistics
    private let store: any UploadStore
    private let logger: Logger
    private let restart: RestartRequest
    /// Restart, reboot, update, provisioned credentials and claiming (UI/ServiceRPCs.swift).
    private let service: ServiceRPCs?
    /// The running connectors, for connector RPCs such as `modbus_get` (ConnectorRPCRouter).
    private let connectors: ConnectorSupervisor?

    init(registry: DeviceRegistry, statistics: GatewayStatistics, store: any UploadStore, restart: RestartRequest, logger: Logger,
         service: ServiceRPCs? = nil, connectors: ConnectorSupervisor? = nil) {
        self.service = service
        self.connectors = connectors
        self.restart = restart
        self.registry = registry
        self.statistics = statistics
        self.store = store
        self.logger = logger
    }

    static let methodNotFound: JSONValue = ["error": "Method not found", "code": 404]

    func handleGatewayRPC(method: String, params: JSONValue) async -> JSONValue {
        if let service, let reply = await service.handle(method: method, params: params) { return reply }
        if let connectors, let reply = await ConnectorRPCRouter.route(method: method, params: params, to: connectors.connectors) { return reply }
        switch method {
        case "gateway_ping":
            return ["code": 200, "resp": "pong"]
        case "gateway_version":
            // The Python gateway's shape, which the widget shows; "version" kept for earlier callers.
            let version = JSONValue.string(IronbridgeVersion.current)
            return ["code": 200, "resp": ["current_version": version, "latest_version": version], "version": version]
        case "gateway_devices":
            // As the Python gateway: {"code": 200, "resp": {"<device>": "<connector name>"}}.
            var devices: [String: JSONValue] = [:]
            for record in registry.records { devices[record.platformName] = .string(record.connector) }
            return ["code": 200, "resp": .object(devices)]
        case "gateway_stats":
            let counters = statistics.snapshot
            let stored = await store.statistics()
            var reply: [String: JSONValue] = [
                "messagesSent": .int(Int64(counters.messagesSent)), "pointsSent": .int(Int64(counters.pointsSent)),
                "buffered": .int(Int64(stored.pending)), "dropped": .int(Int64(stored.dropped)),
                "storage": [
                    "type": .string(stored.type), "depth": .int(Int64(stored.pending)),
                    "oldestAgeSeconds": stored.oldestAgeSeconds.map { .double($0) } ?? .null,
                    "bytesOnDisk": .int(Int64(stored.bytesOnDisk)), "dropped": .int(Int64(stored.dropped)),
                    "corrupted": .int(Int64(stored.corrupted)), "fsyncs": .int(Int64(stored.fsyncs)),
                    "draining": .bool(stored.draining), "diskError": stored.diskError.map { .string($0) } ?? .null,
                ],
                "rpcsServed": .int(Int64(counters.rpcsServed)), "rpcsTimedOut": .int(Int64(counters.rpcsTimedOut)),
                "malformedMessages": .int(Int64(counters.malformedMessages)),
                "connectorErrors": .object(counters.connectorErrors.mapValues { .int(Int64($0)) }),
            ]
            // The Python gateway's keys, which its widget shows: records produced (sent or waiting) and sent.
            reply["eventsSent"] = .int(Int64(clamping: counters.recordsSent))
            reply["eventsProduced"] = .int(Int64(clamping: counters.recordsSent) + Int64(stored.pending))
            return .object(reply)
        case "gateway_device_renamed":
            return rename(params)
        case "gateway_device_deleted":
            return delete(params)
        case "gateway_restart", "gateway_reboot":
            let delay = params.doubleValue ?? params["delay"]?.doubleValue ?? params.stringValue.flatMap(Double.init) ?? 0
            guard delay >= 0, delay <= 86_400 else {
                return ["success": false, "error": "the delay must be 0 to 86400 seconds"]
            }
            logger.notice("restart requested by the platform in \(delay) s")
            restart.request(after: .milliseconds(Int(delay * 1000)))
            return ["success": true, "restartInSeconds": .double(delay)]
        default:
            logger.info("gateway RPC '\(PlatformText.clip(method))' is not known; answered 404")
            return Self.methodNotFound
        }
    }

    private func rename(_ params: JSONValue) -> JSONValue {
        guard let pairs = params.objectValue, !pairs.isEmpty else {
            return ["success": false, "error": "expected params {\"<old name>\": \"<new name>\"}"]
        }
        var renames: [(old: String, new: String)] = []
        for (old, newValue) in pairs.sorted(by: { $0.key < $1.key }) {
            guard let new = newValue.stringValue, !new.isEmpty else {
                return ["success": false, "error": .string("the new name for '\(PlatformText.clip(old))' must be a non-empty string")]
            }
            renames.append((old, new))
        }
        switch registry.rename(renames) {
        case .failure(let failure):
            logger.warning("\(PlatformText.clip(failure.description, limit: 600))")
            return ["success": false, "error": .string(PlatformText.clip(failure.description, limit: 600))]
        case .success(let outcomes):
            for (old, new, outcome) in outcomes {
                switch outcome {
                case .renamed(let configured): logger.info("device '\(configured)' is now called '\(PlatformText.clip(new))' on the platform (was '\(PlatformText.clip(old))')")
                case .alreadyApplied: logger.debug("rename '\(PlatformText.clip(old))' -> '\(PlatformText.clip(new))' already applied")
                case .unknownDevice: logger.warning("rename of unknown device '\(PlatformText.clip(old))' ignored")
                }
            }
            return ["success": true]
        }
    }

    private func delete(_ params: JSONValue) -> JSONValue {
        guard let name = params.stringValue ?? params.objectValue?.keys.first else {
            return ["success": false, "error": "expected params \"<device name>\""]
        }
        switch registry.delete(name) {
        case .failure(let failure):
            logger.error("\(failure)")
            return ["success": false, "error": .string(failure.description)]
        case .success(.forgotten(let configured)):
            logger.info("device '\(PlatformText.clip(name))' was deleted on the platform; it will be created again as '\(configured)' with its next data")
        case .success(.unknownDevice):
            logger.warning("delete of unknown device '\(PlatformText.clip(name))' ignored")
        }
        return ["success": true]
    }
}
