import Logging
import Synchronization

/// The service RPCs of ThingsBoard's gateway widgets that need more than the device registry
/// (docs/gateway-ui.md, "Service RPCs"): restart, reboot, update, removing provisioned
/// credentials, and claiming. Replies have the shapes the Python gateway gives.
public final class ServiceRPCs: Sendable {
    private let allowReboot: Bool
    private let credentials: ProvisionedCredentialsFile
    private let restart: RestartRequest
    private let registry: DeviceRegistry
    private let logger: Logger
    private let platform = Mutex<PlatformLink?>(nil)

    public init(config: GatewayConfig, restart: RestartRequest, registry: DeviceRegistry, logger: Logger) {
        self.allowReboot = config.ui.allowReboot
        self.credentials = ProvisionedCredentialsFile(dataFolder: config.dataFolder.path)
        self.restart = restart
        self.registry = registry
        self.logger = logger
    }

    func attach(_ link: PlatformLink) { platform.withLock { $0 = link } }

    /// The reply to `method`, or nil when it is not one of these.
    func handle(method: String, params: JSONValue) async -> JSONValue? {
        switch method {
        case "gateway_restart": return restartReply(params, reboot: false)
        case "gateway_reboot": return restartReply(params, reboot: true)
        case "gateway_update":
            return ["code": 400, "error": "ironbridge is updated with the system's package manager (apt), not remotely; nothing was changed"]
        case "gateway_remove_provisioned_credentials": return removeCredentials()
        case "gateway_claim": return await claim(params)
        default: return nil
        }
    }

    /// The delay of `gateway_restart 60`, `{"delay": 60}` or `"60"`; the widget's `"{}"` (or none)
    /// means 1 s, as the Python gateway. 0 to 86400 s.
    static func delay(_ params: JSONValue) -> Double? {
        let value = params.doubleValue ?? params["delay"]?.doubleValue ?? params.stringValue.flatMap(Double.init)
        guard let value else { return 1 }
        return (0...86_400).contains(value) ? value : nil
    }

    private func restartReply(_ params: JSONValue, reboot: Bool) -> JSONValue {
        guard let delay = Self.delay(params) else { return ["success": false, "error": "the delay must be 0 to 86400 seconds"] }
        let after = Duration.milliseconds(Int(delay * 1000))
        if reboot && allowReboot {
            logger.notice("machine reboot requested by the platform in \(delay) s")
            restart.request(after: after, reboot: true)
            return ["success": true, "reboot": true, "restartInSeconds": .double(delay)]
        }
        if reboot {
            logger.notice("reboot requested by the platform: thingsboard.allowReboot is false, so the service restarts in \(delay) s instead")
            restart.request(after: after)
            return ["success": true, "reboot": false, "restartInSeconds": .double(delay),
                    "note": "thingsboard.allowReboot is false: the ironbridge service restarts, the machine is not rebooted"]
        }
        logger.notice("restart requested by the platform in \(delay) s")
        restart.request(after: after)
        return ["success": true, "restartInSeconds": .double(delay)]
    }

    private func removeCredentials() -> JSONValue {
        switch credentials.remove() {
        case .removed:
            logger.notice("provisioned credentials \(credentials.path) removed by the platform; the gateway provisions itself again at its next start")
            return ["code": 200, "resp": .string("Provisioned credentials \(credentials.path) removed successfully.")]
        case .absent:
            return ["code": 404, "message": .string("Provisioned credentials file \(credentials.path) does not exist.")]
        case .failed(let reason):
            logger.error("could not remove the provisioned credentials: \(reason)")
            return ["code": 500, "error": .string(reason)]
        }
    }

    /// `{"secretKey": "...", "durationMs": 30000}` claims the gateway (`v1/devices/me/claim`);
    /// with `"device": "<name>"` or `"devices": {"<name>": {"secretKey", "durationMs"}}` it claims
    /// sub-devices (`v1/gateway/claim`).
    private func claim(_ params: JSONValue) async -> JSONValue {
        guard let link = platform.withLock({ $0 }) else { return ["code": 503, "error": "not connected to the platform"] }
        guard let object = params.objectValue else {
            return ["code": 400, "error": "expected params {\"secretKey\": string, \"durationMs\": number} and optionally \"device\" or \"devices\""]
        }
        func entry(_ value: JSONValue) -> JSONValue? {
            guard value.objectValue != nil else { return nil }
            var out: [String: JSONValue] = ["secretKey": .string(value["secretKey"]?.stringValue ?? "")]
            if let duration = value["durationMs"]?.intValue { out["durationMs"] = .int(duration) }
            return .object(out)
        }
        var topic = Topic.gatewayClaim
        var payload = entry(params) ?? [:]
        var what = "the gateway"
        if let devices = object["devices"]?.objectValue ?? object["device"]?.stringValue.map({ [$0: params] }) {
            var claims: [String: JSONValue] = [:]
            for (name, value) in devices {
                guard let claim = entry(value) else {
                    return ["code": 400, "error": .string("the claim for '\(PlatformText.clip(name))' must be an object {\"secretKey\", \"durationMs\"}")]
                }
                guard let record = registry.record(configuredName: name) ?? registry.record(platformName: name) else {
                    return ["code": 404, "error": .string("unknown device '\(PlatformText.clip(name))'")]
                }
                claims[record.platformName] = claim
            }
            guard !claims.isEmpty else { return ["code": 400, "error": "no device to claim"] }
            topic = Topic.claim
            payload = .object(claims)
            what = claims.keys.sorted().map { "'\($0)'" }.joined(separator: ", ")
        }
        do {
            guard try await link.publishOwn(topic: topic, payload: payload.jsonBytes) else {
                return ["code": 503, "error": "not connected to the platform"]
            }
        } catch {
            return ["code": 500, "error": .string("the claim request was not sent: \(error)")]
        }
        logger.info("claiming requested for \(what)")
        return ["code": 200, "resp": .string("claim request sent for \(what)")]
    }
}
