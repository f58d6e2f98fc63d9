import Logging

/// The settings behind ThingsBoard's gateway UI that are not remote configuration: statistics
/// for the built-in dashboard, remote logging, the service RPCs' restart/reboot policy and
/// provisioning. Read from `thingsboard` in config.json, with the Python gateway's key names
/// where it has them (README.md and docs/gateway-ui.md list every key).
public struct GatewayUIConfig: Sendable, Equatable {
    /// `thingsboard.statistics.enable` (default true): `machineStats`, `serviceStats`,
    /// `connectorsStats` and the error counters are sent.
    public var statisticsEnabled: Bool = true
    /// `thingsboard.statistics.statsSendPeriodInSeconds` (default 60, as the Python gateway).
    public var statisticsPeriod: Duration = .seconds(60)
    /// `thingsboard.remoteLogging.linesPerSecond` / `burst`: the token bucket of remote log lines.
    public var remoteLogLinesPerSecond: Double = 5
    public var remoteLogBurst: Int = 50
    /// `thingsboard.allowReboot` (default false): whether `gateway_reboot` may reboot the machine.
    /// When false it restarts the service only, and says so in the reply.
    public var allowReboot: Bool = false
    /// `thingsboard.provisioning` or the `TB_GW_PROVISIONING_*` environment variables.
    public var provisioning: ProvisioningConfig?

    public init() {}
}

/// How the gateway provisions itself on first start (docs/gateway-ui.md, "Provisioning").
public struct ProvisioningConfig: Sendable, Equatable {
    public enum CredentialsType: String, Sendable { case accessToken = "ACCESS_TOKEN", mqttBasic = "MQTT_BASIC" }
    public var key: String
    public var secret: String
    public var deviceName: String?
    public var type: CredentialsType
    /// Credentials we propose (random ones are made for what is missing).
    public var accessToken: String?
    public var clientID: String?
    public var username: String?
    public var password: String?
    /// How long to wait for the platform's answer.
    public var timeout: Duration = .seconds(60)
    /// Set from the `TB_GW_PROVISIONING_*` variables: then, as in the Python gateway, the saved or
    /// provisioned credentials are used even when `thingsboard.security` is set.
    public var fromEnvironment = false

    public init(key: String, secret: String, deviceName: String? = nil, type: CredentialsType = .accessToken) {
        self.key = key
        self.secret = secret
        self.deviceName = deviceName
        self.type = type
    }

    /// The environment variables the Python gateway reads (`get_provisioning_configuration_from_envs`).
    public static let environmentNames = [
        "TB_GW_PROVISIONING_DEVICE_KEY", "TB_GW_PROVISIONING_DEVICE_SECRET", "TB_GW_PROVISIONING_DEVICE_NAME",
        "TB_GW_PROVISIONING_DEVICE_ACCESS_TOKEN", "TB_GW_PROVISIONING_DEVICE_USERNAME", "TB_GW_PROVISIONING_DEVICE_PASSWORD",
        "TB_GW_PROVISIONING_DEVICE_CLIENT_ID",
    ]
}

extension GatewayConfig {
    /// Keys of `thingsboard` this file reads.
    static let uiKeys: Set<String> = ["statistics", "remoteLogging", "allowReboot", "provisioning"]

    static func loadUI(_ node: ConfigNode, environment: [String: String]) -> GatewayUIConfig {
        var ui = GatewayUIConfig()
        let statistics = node["statistics"]
        statistics.checkKeys(
            known: ["enable", "statsSendPeriodInSeconds"],
            ignored: ["enableCustom": "custom statistics commands are not run", "customStatsSendPeriodInSeconds": "custom statistics commands are not run",
                      "commands": "custom statistics commands are not run", "configuration": "custom statistics commands are not run"])
        ui.statisticsEnabled = statistics["enable"].bool(default: true)
        ui.statisticsPeriod = .seconds(statistics["statsSendPeriodInSeconds"].int(default: 60, in: 1...86_400))
        let logging = node["remoteLogging"]
        logging.checkKeys(known: ["linesPerSecond", "burst"])
        ui.remoteLogLinesPerSecond = logging["linesPerSecond"].double(default: 5, in: 0.01...1000)
        ui.remoteLogBurst = logging["burst"].int(default: 50, in: 1...10_000)
        ui.allowReboot = node["allowReboot"].bool(default: false)
        ui.provisioning = loadProvisioning(node["provisioning"], environment: environment)
        return ui
    }

    static func loadProvisioning(_ node: ConfigNode, environment: [String: String]) -> ProvisioningConfig? {
        func env(_ suffix: String) -> String? {
            environment["TB_GW_PROVISIONING_\(suffix)"].flatMap { $0.isEmpty ? nil : $0 }
        }
        if let key = env("DEVICE_KEY"), let secret = env("DEVICE_SECRET") {
            // The Python gateway's order: an access token, else MQTT basic, else X.509.
            var config = ProvisioningConfig(key: key, secret: secret, deviceName: env("DEVICE_NAME"))
            config.fromEnvironment = true
            if let token = env("DEVICE_ACCESS_TOKEN") {
                config.accessToken = token
            } else if env("DEVICE_USERNAME") != nil || env("DEVICE_PASSWORD") != nil || env("DEVICE_CLIENT_ID") != nil {
                config.type = .mqttBasic
                config.username = env("DEVICE_USERNAME")
                config.password = env("DEVICE_PASSWORD")
                config.clientID = env("DEVICE_CLIENT_ID")
            } else if env("DEVICE_CA_CERT_FILENAME") != nil {
                node.error("TB_GW_PROVISIONING_DEVICE_CA_CERT_FILENAME asks for X.509 provisioning, which is not supported; set TB_GW_PROVISIONING_DEVICE_ACCESS_TOKEN or _DEVICE_USERNAME/_DEVICE_PASSWORD/_DEVICE_CLIENT_ID instead, or none (a random access token)")
                return nil
            }
            return config
        }
        guard node.exists else { return nil }
        node.checkKeys(known: ["type", "provisionDeviceKey", "provisionDeviceSecret", "deviceName", "access_token", "accessToken",
                               "client_id", "clientId", "username", "password", "timeoutSeconds"],
                       ignored: ["caCert": "X.509 provisioning is not supported; use ACCESS_TOKEN or MQTT_BASIC"])
        let type = node["type"].oneOf(["ACCESS_TOKEN", "MQTT_BASIC", "X509_CERTIFICATE"], default: "ACCESS_TOKEN")
        if type == "X509_CERTIFICATE" {
            node["type"].error("X509_CERTIFICATE provisioning is not supported (the gateway would have to make its own certificate); use ACCESS_TOKEN or MQTT_BASIC")
        }
        guard let key = node["provisionDeviceKey"].requiredString(), let secret = node["provisionDeviceSecret"].requiredString() else { return nil }
        var config = ProvisioningConfig(key: key, secret: secret, deviceName: node["deviceName"].optionalString(),
                                        type: type == "MQTT_BASIC" ? .mqttBasic : .accessToken)
        config.accessToken = node["access_token"].optionalString() ?? node["accessToken"].optionalString()
        config.clientID = node["client_id"].optionalString() ?? node["clientId"].optionalString()
        config.username = node["username"].optionalString()
        config.password = node["password"].optionalString()
        config.timeout = .seconds(node["timeoutSeconds"].int(default: 60, in: 1...600))
        return config
    }
}
