import IronbridgeCore
import IronbridgeModbus
import Synchronization

/// `modbus_get` / `modbus_set` sent to the gateway itself (not to a device), as the Python
/// gateway's connector RPCs: the params (`type`, `functionCode`, `address`, `objectsCount`,
/// `value`) run on every slave of the connector, and the reply is a list with one entry per
/// slave, `{"result": value, "device_name": name}` or `{"error": text, "device_name": name}`.
/// With `host` / `port` / `unitId` they run on the configured slave(s) at that target only;
/// a target the configuration does not name is refused, so these RPCs never reach a device,
/// nor write an address, that the configuration does not allow (``ModbusWritePolicy``).
extension ModbusConnector {
    /// Params that pick the connector or the target, not the key.
    static let connectorRPCRouting: Set<String> = ["connectorId", "connectorName", "host", "port", "unitId"]
    /// How long each slave may take, as the Python gateway's default RPC timeout (5 s).
    static let connectorRPCTimeout: Duration = .seconds(5)

    /// The reply, or nil when the RPC is not for this connector (another method, or
    /// `connectorId` / `connectorName` naming another connector).
    public func handleConnectorRPC(method: String, params: JSONValue) async -> JSONValue? {
        let lowered = method.lowercased()
        guard lowered == "modbus_get" || lowered == "modbus_set" else { return nil }
        let members = params.objectValue ?? [:]
        if let wanted = members["connectorId"]?.stringValue, let configurationId, wanted != configurationId { return nil }
        if let wanted = members["connectorName"]?.stringValue, wanted != name { return nil }
        guard params.objectValue != nil else {
            return .array([["error": .string("\(method): params must be an object like {\"type\": \"16int\", \"functionCode\": 3, \"address\": 0, \"objectsCount\": 1}")]])
        }
        let keyParams = JSONValue.object(members.filter { !Self.connectorRPCRouting.contains($0.key) })
        let targets: [ModbusDeviceConfig]
        switch Self.target(of: members) {
        case .failure(let failure):
            return .array([["error": .string(failure.message), "success": false]])
        case .success(nil):
            targets = configs
        case .success(let target?):
            targets = configs.filter { target.matches($0) }
            guard !targets.isEmpty else {
                return .array([["error": .string("\(method): no slave of the \(name) connector is configured at \(target); "
                                                 + "the gateway reads and writes only the slaves its configuration names"), "success": false]])
            }
        }
        // Slaves on different lines answer concurrently; each line serialises its own.
        let replies = await withTaskGroup(of: (Int, JSONValue).self) { group in
            for (index, device) in targets.enumerated() {
                group.addTask {
                    (index, await self.connectorRPC(on: device, method: method, params: keyParams))
                }
            }
            var replies = [JSONValue](repeating: .null, count: targets.count)
            for await (index, reply) in group { replies[index] = reply }
            return replies
        }
        return .array(zip(targets, replies).map { device, reply in
            if let error = reply["result"]?["error"] ?? reply["error"] {
                return ["error": error, "device_name": .string(device.name)]
            }
            return ["result": reply["result"]?["value"] ?? .null, "device_name": .string(device.name)]
        })
    }

    /// One slave's reply, or a timeout error after ``connectorRPCTimeout`` (the request, if
    /// already on the line, finishes there on its own; its late reply is dropped).
    private func connectorRPC(on device: ModbusDeviceConfig, method: String, params: JSONValue) async -> JSONValue {
        let once = Mutex<CheckedContinuation<JSONValue, Never>?>(nil)
        let finish: @Sendable (JSONValue) -> Void = { reply in once.withLock { $0.take() }?.resume(returning: reply) }
        var tasks: [Task<Void, Never>] = []
        let reply = await withCheckedContinuation { continuation in
            once.withLock { $0 = continuation }
            tasks.append(Task { finish(await self.handleRPC(RPCCall(device: device.name, id: 0, method: method, params: params))) })
            tasks.append(Task {
                try? await Task.sleep(for: Self.connectorRPCTimeout)
                finish(["error": .string("no reply from '\(device.name)' within \(Self.connectorRPCTimeout)")])
            })
        }
        for task in tasks { task.cancel() }
        return reply
    }

    /// The `host` / `port` / `unitId` a connector RPC names (nil: none, every slave).
    struct ConnectorRPCTarget: CustomStringConvertible {
        var host: String?
        var port: String?
        var unitId: Int?

        func matches(_ device: ModbusDeviceConfig) -> Bool {
            if let unitId, unitId != device.unitId { return false }
            switch device.endpoint {
            case .tcp(let deviceHost, let devicePort), .tls(let deviceHost, let devicePort, _):
                if let host, host != deviceHost { return false }
                if let port, port != String(devicePort) { return false }
            case .rtu(let settings), .ascii(let settings):
                if host != nil { return false }
                if let port, port != settings.device { return false }
            }
            return true
        }

        var description: String {
            var parts: [String] = []
            if let host { parts.append("host \(PlatformText.clip(host))") }
            if let port { parts.append("port \(PlatformText.clip(port))") }
            if let unitId { parts.append("unit \(unitId)") }
            return parts.joined(separator: ", ")
        }
    }

    static func target(of members: [String: JSONValue]) -> Result<ConnectorRPCTarget?, ModbusRPCFailure> {
        var target = ConnectorRPCTarget()
        if let host = members["host"], host != .null {
            guard let text = host.stringValue else { return .failure(ModbusRPCFailure("host must be a string")) }
            target.host = text
        }
        if let port = members["port"], port != .null {
            // A TCP port (number or text) or a serial device path.
            guard let text = port.stringValue ?? port.intValue.map({ String($0) }) else {
                return .failure(ModbusRPCFailure("port must be a number or a serial device path"))
            }
            target.port = text
        }
        if let unit = members["unitId"], unit != .null {
            guard let number = unit.intValue ?? unit.stringValue.flatMap({ Int64($0) }), (0...255).contains(number) else {
                return .failure(ModbusRPCFailure("unitId must be 0-255"))
            }
            target.unitId = Int(number)
        }
        return .success(target.host == nil && target.port == nil && target.unitId == nil ? nil : target)
    }
}
