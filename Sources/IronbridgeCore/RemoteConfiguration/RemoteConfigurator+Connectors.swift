import Logging

/// Connectors added, changed, disabled or removed from the UI (thingsboard-gateway-ui.md §1.3–1.5).
extension RemoteConfigurator {
    /// Keys inside `configurationJson` the UI may change without it being a new configuration (§1.5).
    static let metadataKeys: Set<String> = ["name", "id", "logLevel", "enableRemoteLogging", "configVersion"]

    static func withoutMetadata(_ json: JSONValue) -> JSONValue {
        guard var object = json.objectValue else { return json }
        for key in metadataKeys { object.removeValue(forKey: key) }
        return .object(object)
    }

    /// Applies the shared attribute `key` holding a connector. A bad one is refused (logged
    /// with the connector's name and the JSON path, counted in `<name>_ERRORS_COUNT`, not
    /// echoed) and the running configuration stays; a good one is persisted, applied and echoed.
    func applyConnector(key: String, object: [String: JSONValue]) async {
        let name = object["name"]?.stringValue ?? key
        // Remembered as refused until a configuration of this key is applied.
        rememberRefused(key, .object(object))
        guard let type = object["type"]?.stringValue else {
            return refuse(name, ["$.type is missing: expected the connector type (\(factories.keys.sorted().joined(separator: ", ")))"])
        }
        guard let factory = factories[type] else {
            return refuse(name, ["$.type: unknown connector type '\(PlatformText.clip(type))'; this build knows: \(factories.keys.sorted().joined(separator: ", "))"])
        }
        guard let configurationJSON = object["configurationJson"]?.unwrappingJSONString, configurationJSON.objectValue != nil else {
            return refuse(name, ["$.configurationJson is missing or not an object"])
        }
        let existing = state.withLock { $0.managed[name] }
        if let existing, existing.type == type, supervisor.connector(named: name) != nil,
           Self.withoutMetadata(existing.configurationJSON) == Self.withoutMetadata(configurationJSON) {
            logger.debug("remote configuration of connector '\(name)' unchanged", metadata: ["connector": .string(name)])
            rememberRefused(key, nil)
            connectorRemoteLogging(name, enabled: object["enableRemoteLogging"]?.boolValue ?? false)
            return await echo(key: key, object: object, configurationPath: existing.configurationPath)
        }

        // Validate as `ironbridge check` does.
        let diagnostics = ConfigDiagnostics()
        let node = ConfigNode(value: configurationJSON, file: "remote configuration of connector '\(name)' (configurationJson)", diagnostics: diagnostics)
        var connectorLogger = logger
        connectorLogger[metadataKey: "connector"] = .string(name)
        let built = factory.makeConnector(name: name, configuration: node, gateway: setup.config, logger: connectorLogger)
        if let built {
            for device in built.devices {
                if let owner = supervisor.connectors.first(where: { $0.name != name && $0.devices.contains { $0.name == device.name } }) {
                    node.error("the device name '\(device.name)' is already used by connector '\(owner.name)'; device names must be unique")
                }
            }
        }
        guard let connector = built, !diagnostics.hasErrors else {
            return refuse(name, diagnostics.errors.map { "\($0.path): \($0.message)" })
        }
        for warning in diagnostics.warnings {
            logger.warning("remote configuration of connector '\(name)': \(warning.path): \(warning.message)", metadata: ["connector": .string(name)])
        }

        // Persist: the connector file, then (for a new connector) config.json's list.
        let configurationPath = existing?.configurationPath ?? unusedFileName(Self.fileName(for: name, requested: object["configuration"]?.stringValue))
        let filePath = existing?.filePath ?? setup.config.folder.appendingPathComponent(configurationPath).path
        do {
            try ConfigFileStore.replace(filePath, with: configurationJSON.prettyJSONBytes)
        } catch {
            return refuse(name, ["the connector file could not be written: \(error)"])
        }
        if existing == nil {
            if let problem = updateConnectorList({ list in
                list.removeAll { $0["name"]?.stringValue == name }
                list.append(["type": .string(type), "name": .string(name), "configuration": .string(configurationPath)])
            }) {
                logger.error("remote configuration: connector '\(name)' runs but config.json could not be updated, so it will not start after a restart: \(problem)",
                             metadata: ["connector": .string(name)])
                statistics.connectorError(name)
            }
        }

        // Apply: only this connector is stopped and started; its devices keep their registration (and renames).
        let oldDevices = Set(supervisor.connector(named: name)?.devices.map(\.name) ?? [])
        for device in connector.devices { registry.register(device, connector: name) }
        await supervisor.replace(with: connector)
        await disconnect(oldDevices.subtracting(connector.devices.map(\.name)))
        state.withLock { s in
            s.managed[name] = ManagedConnector(name: name, type: type, configurationPath: configurationPath, filePath: filePath,
                                               configurationJSON: configurationJSON, enableRemoteLogging: object["enableRemoteLogging"]?.boolValue ?? false)
        }
        rememberRefused(key, nil)
        connectorRemoteLogging(name, enabled: object["enableRemoteLogging"]?.boolValue ?? false)
        logger.info("remote configuration: connector '\(name)' (\(type)) \(existing == nil ? "added" : "changed") and running with \(connector.devices.count) device(s); \(filePath) written (previous kept as \(filePath)\(ConfigFileStore.backupSuffix))",
                    metadata: ["connector": .string(name)])
        await echo(key: key, object: object, configurationPath: configurationPath)
        if existing == nil { await publish(["active_connectors": .array(connectorNames.map { .string($0) })]) }
    }

    /// Stops and forgets connector `name`: its devices are disconnected on the platform (their
    /// registration and renames are kept until the next start), it leaves config.json's list,
    /// and its file stays on disk.
    func removeConnector(_ name: String, reason: String) async {
        guard state.withLock({ $0.managed[name] }) != nil else { return }
        let stopped = await supervisor.stop(name)
        await disconnect(Set(stopped?.devices.map(\.name) ?? []))
        state.withLock { s in _ = s.managed.removeValue(forKey: name) }
        statistics.errors.remove(connector: name)
        connectorRemoteLogging(name, enabled: false)
        if let problem = updateConnectorList({ list in list.removeAll { $0["name"]?.stringValue == name } }) {
            logger.error("remote configuration: connector '\(name)' stopped but config.json could not be updated, so it will start again after a restart: \(problem)",
                         metadata: ["connector": .string(name)])
            statistics.connectorError(name)
        }
        logger.info("remote configuration: connector '\(name)' stopped and removed from config.json because \(reason); its file is kept",
                    metadata: ["connector": .string(name)])
        await publish(["active_connectors": .array(connectorNames.map { .string($0) })])
    }

    /// Refuses a connector configuration: the old one (if any) keeps running.
    func refuse(_ name: String, _ reasons: [String]) {
        logger.error("remote configuration of connector '\(name)' refused, the running configuration is kept: \(reasons.joined(separator: "; "))",
                     metadata: ["connector": .string(name)])
        statistics.connectorError(name)
    }

    /// The UI's object back as a client attribute, `ts` unchanged, so that the UI shows it synced.
    private func echo(key: String, object: [String: JSONValue], configurationPath: String) async {
        var echoed = object
        echoed["configuration"] = .string(configurationPath)
        await publish([key: .object(echoed)])
    }

    private func disconnect(_ devices: Set<String>) async {
        let uploads = devices.sorted().filter { registry.markDisconnected($0) }.map { Upload.disconnect(device: registry.platformName(of: $0)) }
        if !uploads.isEmpty { store.append(uploads) }
    }

    /// Rewrites config.json with its `connectors` list changed by `change`; nil on success, else why not.
    func updateConnectorList(_ change: (inout [JSONValue]) -> Void) -> String? {
        let path = setup.config.file.path
        switch ConfigFileStore.readJSON(path) {
        case .failure(let error):
            return "\(error)"
        case .success(let root):
            guard var object = root.objectValue else { return "\(path): the top level is not an object" }
            var list = object["connectors"]?.arrayValue ?? []
            change(&list)
            object["connectors"] = .array(list)
            do {
                try ConfigFileStore.replace(path, with: JSONValue.object(object).prettyJSONBytes)
                return nil
            } catch {
                return "\(error)"
            }
        }
    }

    /// `candidate`, or `<stem>_2.json`, `<stem>_3.json`, ... when another connector's file has that name.
    func unusedFileName(_ candidate: String) -> String {
        let taken = state.withLock { Set($0.managed.values.map { setup.config.folder.appendingPathComponent($0.configurationPath).standardizedFileURL.path }) }
        let stem = String(candidate.dropLast(".json".count))
        for index in 1...1000 {
            let name = index == 1 ? candidate : "\(stem)_\(index).json"
            if !taken.contains(setup.config.folder.appendingPathComponent(name).standardizedFileURL.path) { return name }
        }
        return "\(stem)_\(UnixTime.nowMilliseconds).json"
    }

    /// A plain file name for a new connector's file: the UI's `configuration` when it is one,
    /// else the name in lower case with spaces as underscores, plus `.json`.
    static func fileName(for name: String, requested: String?) -> String {
        func isPlain(_ text: String) -> Bool {
            !text.isEmpty && !text.hasPrefix(".") && text.hasSuffix(".json")
                && text.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) || "._-".unicodeScalars.contains($0) }
        }
        if let requested, isPlain(requested) { return requested }
        let base = String(name.lowercased().map { $0 == " " ? "_" : $0 }.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        return (base.isEmpty ? "connector" : base) + ".json"
    }
}
