import IronbridgeMQTT
import Logging

/// `general_configuration` from the UI (thingsboard-gateway-ui.md §1.6): the `thingsboard`
/// section. A change of the connection (host, port, credentials, TLS, MQTT version, client id,
/// keep-alive) could lock the gateway out, so it is tried first on a connection of its own; only
/// when the platform accepts it within `thingsboard.remoteConfigurationConfirmSeconds` is it
/// written to config.json (the previous file kept as `config.json.rollback`) and the gateway
/// restarted on it. If the restarted gateway does not connect within the same time, it puts the
/// previous config.json back and restarts again (``ConnectionTrial``).
extension RemoteConfigurator {
    /// Keys under `security`/`provisioning` the gateway never publishes, so the UI cannot send
    /// them back: when the UI's object lacks one (or has it empty), the current value is kept.
    static func keepingSecrets(_ proposed: [String: JSONValue], current: [String: JSONValue]) -> [String: JSONValue] {
        var merged = proposed
        for block in ["security", "provisioning"] {
            guard let old = current[block]?.objectValue else { continue }
            guard var new = proposed[block]?.objectValue else {
                merged[block] = .object(old)
                continue
            }
            if new["type"] == nil || new["type"] == old["type"] {
                for key in RemoteClientAttributes.secretKeys where new[key] == nil || new[key] == .string("") {
                    if let value = old[key] { new[key] = value }
                }
            }
            merged[block] = .object(new)
        }
        return merged
    }

    func applyGeneralConfiguration(_ general: [String: JSONValue]) async {
        // Remembered as refused unless it is saved below.
        rememberRefused("general_configuration", .object(general))
        let configPath = setup.config.file.path
        guard case .success(let raw) = ConfigFileStore.readJSON(configPath), var root = raw.objectValue else {
            return refuseGeneral(["\(configPath) could not be read to merge the new settings into it"])
        }
        let current = root["thingsboard"]?.objectValue ?? [:]
        var proposed = general
        proposed.removeValue(forKey: "ts")
        proposed = Self.keepingSecrets(proposed, current: current)

        // Validate as `ironbridge check` does.
        let diagnostics = ConfigDiagnostics()
        let node = ConfigNode(value: .object(proposed), path: "$", file: "general_configuration from the UI", diagnostics: diagnostics)
        let candidate = GatewayConfig.loadThingsBoard(node, environment: [:])
        guard let candidate, !diagnostics.hasErrors else {
            return refuseGeneral(diagnostics.errors.map { "\($0.path): \($0.message)" })
        }
        let running = setup.config.thingsboard
        if proposed == current {
            rememberRefused("general_configuration", nil)
            return await publish(["general_configuration": RemoteClientAttributes.generalConfiguration(rawConfig: raw, thingsboard: running, ts: general["ts"]?.intValue ?? UnixTime.nowMilliseconds)])
        }
        root["thingsboard"] = .object(proposed)
        let newBytes = JSONValue.object(root).prettyJSONBytes

        guard Self.connectionDiffers(candidate, running) else {
            // Nothing that could lock the gateway out: saved; read at the next start.
            do {
                try ConfigFileStore.replace(configPath, with: newBytes)
            } catch {
                return refuseGeneral(["config.json could not be written: \(error)"])
            }
            rememberRefused("general_configuration", nil)
            logger.info("remote configuration: general_configuration saved to \(configPath) (previous kept as config.json.bak); it takes effect at the next start")
            return await publish(["general_configuration": RemoteClientAttributes.generalConfiguration(rawConfig: .object(root), thingsboard: candidate, ts: general["ts"]?.intValue ?? UnixTime.nowMilliseconds)])
        }

        let timeout = Duration.milliseconds(Int64(running.remoteConfigurationConfirmSeconds * 1000))
        logger.info("remote configuration: trying the new connection to \(candidate.host):\(candidate.port) (at most \(timeout)) before it replaces the running one")
        if let failure = await Self.probe(candidate, timeout: timeout, logger: logger) {
            refuseGeneral(["the new connection to \(candidate.host):\(candidate.port) was not confirmed within \(timeout): \(failure)"])
            // As the Python gateway: the current settings go back, so the UI's form shows what runs.
            return await publish(["general_configuration": RemoteClientAttributes.generalConfiguration(rawConfig: raw, thingsboard: running, ts: UnixTime.nowMilliseconds)])
        }
        do {
            try ConfigFileStore.writeAtomically(configPath + ConnectionTrial.rollbackSuffix, try ConfigFileStore.read(configPath))
            try ConfigFileStore.replace(configPath, with: newBytes)
        } catch {
            return refuseGeneral(["config.json could not be written: \(error)"])
        }
        rememberRefused("general_configuration", nil)
        await publish(["general_configuration": RemoteClientAttributes.generalConfiguration(rawConfig: .object(root), thingsboard: candidate, ts: general["ts"]?.intValue ?? UnixTime.nowMilliseconds)])
        logger.notice("remote configuration: the new connection to \(candidate.host):\(candidate.port) was accepted; config.json written (previous kept as config.json\(ConnectionTrial.rollbackSuffix)); restarting on it")
        restart.request(after: .seconds(1))
    }

    /// True when `a` and `b` connect differently.
    static func connectionDiffers(_ a: ThingsBoardConfig, _ b: ThingsBoardConfig) -> Bool {
        a.host != b.host || a.port != b.port || a.security != b.security || a.tlsInsecure != b.tlsInsecure
            || a.protocolVersion != b.protocolVersion || a.clientID != b.clientID || a.keepAliveSeconds != b.keepAliveSeconds
    }

    /// Connects once with `candidate`; nil when the platform accepted it within `timeout`, else why not.
    static func probe(_ candidate: ThingsBoardConfig, timeout: Duration, logger: Logger) async -> String? {
        var configuration = candidate.mqttConfiguration
        configuration.reconnect = Backoff(initialSeconds: 0.5, maximumSeconds: 2)
        configuration.refusedRetryDelaySeconds = 1
        let client: MQTTClient
        do {
            client = try MQTTClient(configuration: configuration, logger: logger)
        } catch {
            return "\(error)"
        }
        client.start()
        let outcome = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                var last = "no answer"
                for await event in client.events {
                    switch event {
                    case .connected: return nil
                    case .refused(let refusal): return "\(refusal)"
                    case .connectFailed(let reason, _), .disconnected(let reason): last = reason
                    case .message: continue
                    }
                }
                return last
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return "no CONNACK within \(timeout)"
            }
            defer { group.cancelAll() }
            return await group.next() ?? "cancelled"
        }
        await client.stop(timeoutSeconds: 2)
        return outcome
    }

    private func refuseGeneral(_ reasons: [String]) {
        logger.error("remote configuration: general_configuration from the UI refused, the running settings are kept: \(reasons.joined(separator: "; "))",
                     metadata: ["connector": .string(ErrorCounters.serviceName)])
        statistics.connectorError(ErrorCounters.serviceName)
    }
}
