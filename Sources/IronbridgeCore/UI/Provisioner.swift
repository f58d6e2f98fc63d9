import IronbridgeMQTT
import Logging

/// Device provisioning of the gateway itself (docs/gateway-ui.md, "Provisioning"): a separate
/// MQTT connection with user name `provision` to the configured host, a request on
/// `/provision/request` with `"gateway": true` (so the platform marks the new device a gateway),
/// and the answer on `/provision/response`.
public enum Provisioner {
    /// The request the platform expects, with random credentials for what the configuration leaves out.
    public static func request(_ config: ProvisioningConfig) -> JSONValue {
        var request: [String: JSONValue] = [
            "provisionDeviceKey": .string(config.key), "provisionDeviceSecret": .string(config.secret),
            "deviceName": .string(config.deviceName ?? "Gateway \(randomText(5))"), "gateway": true,
        ]
        switch config.type {
        case .accessToken:
            request["credentialsType"] = "ACCESS_TOKEN"
            request["token"] = .string(config.accessToken ?? randomText(20))
        case .mqttBasic:
            request["credentialsType"] = "MQTT_BASIC"
            request["clientId"] = .string(config.clientID ?? randomText(15))
            request["username"] = .string(config.username ?? randomText(15))
            request["password"] = .string(config.password ?? randomText(20))
        }
        return .object(request)
    }

    /// Sends the request and returns the platform's successful answer; throws with the
    /// platform's reason (`status`, `errorMsg`) or a timeout.
    public static func provision(_ config: ProvisioningConfig, thingsboard: ThingsBoardConfig, logger: Logger) async throws -> JSONValue {
        var mqtt = thingsboard.mqttConfiguration
        mqtt.username = "provision"
        mqtt.password = nil
        mqtt.clientID = "provision-\(randomText(10))"
        mqtt.protocolVersion = .v311
        var quiet = logger
        quiet.logLevel = .warning
        let client = try MQTTClient(configuration: mqtt, logger: quiet)
        client.subscribe("/provision/response", qos: 1)
        client.start()
        let request = Self.request(config)
        logger.info("provisioning the gateway as '\(request["deviceName"]?.stringValue ?? "")' at \(thingsboard.host):\(thingsboard.port)")
        let deadline = ContinuousClock.now + config.timeout
        let answer: JSONValue? = await withTaskGroup(of: JSONValue?.self) { group in
            group.addTask {
                for await event in client.events {
                    if case .message(let message) = event, message.topic == "/provision/response" {
                        return try? JSONValue.parse(message.payload)
                    }
                }
                return nil
            }
            group.addTask {
                // Publish once the subscription is in place; retried until it goes out or time is up.
                while ContinuousClock.now < deadline, !Task.isCancelled {
                    if client.isReady, (try? await client.publish(topic: "/provision/request", payload: request.jsonBytes, qos: 1)) != nil { break }
                    try? await Task.sleep(for: .milliseconds(100))
                }
                try? await Task.sleep(until: deadline)
                return nil
            }
            defer { group.cancelAll() }
            for await result in group {
                if let result { return result }
                break
            }
            return nil
        }
        await client.stop(timeoutSeconds: 1)
        guard let answer else {
            throw ProvisioningError("the platform at \(thingsboard.host):\(thingsboard.port) did not answer the provisioning request within \(config.timeout)")
        }
        guard answer["status"]?.stringValue == "SUCCESS" else {
            let status = answer["status"]?.stringValue ?? "no status"
            let reason = answer["errorMsg"]?.stringValue ?? answer["errorMessage"]?.stringValue ?? ""
            throw ProvisioningError("the platform refused the provisioning request: \(status) \(PlatformText.clip(reason))")
        }
        return answer
    }

    static func randomText(_ count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}

extension GatewaySetup {
    /// With provisioning configured: uses the saved provisioned credentials, or provisions the
    /// gateway and saves them (0600) when there are none. Without it, nothing changes.
    /// Throws when the saved file is unusable or the platform refuses or does not answer.
    public mutating func applyProvisioning(logger: Logger) async throws {
        guard let provisioning = config.ui.provisioning else { return }
        let placeholder = config.thingsboard.security == .accessToken("")
        guard placeholder || provisioning.fromEnvironment else { return }
        let file = ProvisionedCredentialsFile(dataFolder: config.dataFolder.path)
        if let saved = try file.load() {
            logger.info("using the provisioned credentials in \(file.path)")
            config.thingsboard.security = saved
            return
        }
        let answer = try await Provisioner.provision(provisioning, thingsboard: config.thingsboard, logger: logger)
        guard let security = ProvisionedCredentialsFile.security(from: answer) else {
            throw ProvisioningError("the platform's provisioning answer holds no usable credentials (credentialsType \(answer["credentialsType"]?.stringValue ?? "missing"))")
        }
        try file.save(answer)
        logger.notice("provisioned: credentials saved in \(file.path) (mode 0600) and used from now on")
        config.thingsboard.security = security
    }
}
