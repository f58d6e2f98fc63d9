import IronbridgeMQTT
import IronbridgeSystem
import Logging
import Synchronization

/// Handles the gateway's own RPCs (`v1/devices/me/rpc/request/+`).
public protocol GatewayRPCHandler: Sendable {
    /// Returns the reply payload for `method`.
    func handleGatewayRPC(method: String, params: JSONValue) async -> JSONValue
}

/// Finds the connector that owns a device, by configured name.
public protocol ConnectorDirectory: Sendable {
    func connector(named name: String) -> (any Connector)?
}

/// The gateway's side of ThingsBoard's Gateway MQTT API over one MQTT connection:
/// subscribes, routes what arrives (device RPCs, shared attribute updates, answers,
/// gateway RPCs), runs the upload sender, and asks for the session limits after each connect.
public final class PlatformLink: Sendable {
    let configuration: ThingsBoardConfig
    let client: MQTTClient
    let registry: DeviceRegistry
    let statistics: GatewayStatistics
    let logger: Logger
    let directory: any ConnectorDirectory
    let gatewayRPC: any GatewayRPCHandler
    /// Device-to-device messages sent for sub-devices, waiting for the platform's answer (docs/messages.md).
    public let messageOutbox: MessageOutbox
    private let gate = ConnectionGate()
    private let sender: UploadSender
    private let attributeReplies = PendingReplies()
    private let clientRPCReplies = PendingReplies()
    /// Answers to the gateway's own attribute requests, and who wants to hear about connects and
    /// the gateway device's shared attributes (PlatformLink+GatewayDevice.swift).
    let gatewayAttributeReplies = PendingReplies()
    let gatewayHooks = GatewayDeviceHooks()
    /// Ids of our attribute requests and client-side RPCs. They start high so that they never
    /// meet the small ids the server gives its own RPCs (a plain broker echoes both back).
    private let nextRequestID = Mutex<Int64>(1_000_000_000)
    private let defaultLimits: SessionLimits
    private let admission: RPCAdmission
    /// The last connect failure's reason and how many failed in a row (for quiet logs).
    private let connectFailures = Mutex<(reason: String?, count: Int)>((nil, 0))
    /// Gateway RPCs that change the device registry (renames, deletes), in arrival order,
    /// for the one task that applies them one after another.
    private let registryChanges: AsyncStream<(id: Int64, method: String, params: JSONValue)>
    private let registryChangeInput: AsyncStream<(id: Int64, method: String, params: JSONValue)>.Continuation
    static let orderedGatewayMethods: Set<String> = ["gateway_device_renamed", "gateway_device_deleted"]

    public init(configuration: ThingsBoardConfig, store: any UploadStore, registry: DeviceRegistry, statistics: GatewayStatistics,
                directory: any ConnectorDirectory, gatewayRPC: any GatewayRPCHandler, readRecordsCount: Int, logger: Logger,
                messageOutbox: MessageOutbox = MessageOutbox()) throws(MQTTError) {
        self.messageOutbox = messageOutbox
        self.configuration = configuration
        self.client = try MQTTClient(configuration: configuration.mqttConfiguration, logger: logger)
        self.registry = registry
        self.statistics = statistics
        self.directory = directory
        self.gatewayRPC = gatewayRPC
        self.logger = logger
        self.defaultLimits = SessionLimits(maxPayloadSize: configuration.maxPayloadSizeBytes, maxInflightMessages: configuration.maxInflightMessages)
        self.admission = RPCAdmission(maxTotal: configuration.maxPendingRPCs, maxPerDevice: configuration.maxPendingRPCsPerDevice)
        (registryChanges, registryChangeInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(configuration.maxPendingRPCs))
        self.sender = UploadSender(client: client, store: store, registry: registry, gate: gate, statistics: statistics,
                                   limits: defaultLimits, qos: configuration.qos, readCount: readRecordsCount,
                                   minSendInterval: .milliseconds(configuration.minPackSendDelayMs), logger: logger,
                                   outbox: messageOutbox)
        client.setMaxInflightMessages(configuration.maxInflightMessages)
    }

    public var isConnected: Bool { gate.isOpen }
    public var sessionLimits: SessionLimits { sender.currentLimits }

    /// Runs until `stop()`: the MQTT connection, the sender, and one child task per incoming request.
    public func run() async {
        for topic in Topic.subscriptions { client.subscribe(topic, qos: 1) }
        client.start()
        logger.info("connecting to ThingsBoard at \(configuration.host):\(configuration.port)")
        await withDiscardingTaskGroup { group in
            group.addTask { await self.sender.run() }
            group.addTask { await self.applyRegistryChanges() }
            for await event in client.events {
                handle(event, in: &group)
            }
            group.cancelAll()
        }
    }

    /// Waits (at most `drainTimeout`) until everything stored was acknowledged, then disconnects cleanly.
    public func stop(store: any UploadStore, drainTimeout: Duration) async {
        let deadline = ContinuousClock.now + drainTimeout
        while ContinuousClock.now < deadline, gate.isOpen {
            if await store.statistics().pending == 0 && sender.isIdle { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let pending = await store.statistics().pending
        if pending > 0 { logger.warning("stopping with \(pending) records not yet acknowledged by the platform") }
        await client.stop()
    }

    // MARK: - Events

    private func handle(_ event: MQTTEvent, in group: inout DiscardingTaskGroup) {
        switch event {
        case .connected:
            let failed = connectFailures.withLock { state in
                defer { state = (nil, 0) }
                return state.count
            }
            let attempts = failed > 1 ? " after \(failed) failed attempts" : ""
            logger.info("connected to ThingsBoard at \(client.configuration.endpoint)\(attempts)")
            gate.open()
            group.addTask { await self.refreshSessionLimits() }
            for handler in gatewayHooks.connectHandlers { group.addTask { await handler() } }
        case .refused(let refusal):
            logger.error("\(refusal)")
        case .connectFailed(let reason, let retry):
            // One line per state change: the first failure, or a different reason; repeats at debug level.
            let isNew = connectFailures.withLock { state in
                defer { state = (reason, state.count + 1) }
                return state.reason != reason
            }
            let note = isNew ? " (further attempts are logged at debug level until the reason changes)" : ""
            logger.log(level: isNew ? .warning : .debug, "\(reason); retrying in \(TextFormat.fixed(retry, decimals: 1)) s\(note)")
        case .disconnected(let reason):
            gate.close()
            logger.warning("\(reason); reconnecting")
        case .message(let message):
            route(message, in: &group)
        }
    }

    private func route(_ message: MQTTMessage, in group: inout DiscardingTaskGroup) {
        let topic = message.topic
        guard message.payload.count <= configuration.maxIncomingMessageBytes else {
            return malformed(topic, "it has \(message.payload.count) bytes, more than thingsboard.maxIncomingMessageBytes (\(configuration.maxIncomingMessageBytes)); refused unread")
        }
        let payload: JSONValue
        do {
            payload = try JSONValue.parse(message.payload)
        } catch {
            statistics.malformedMessage()
            logger.warning("ignoring a message on \(PlatformText.clip(topic)): \(error)")
            return
        }
        switch topic {
        case Topic.rpc:
            guard let device = payload["device"]?.stringValue, let data = payload["data"] else {
                return malformed(topic, "expected {\"device\": string, \"data\": {\"id\", \"method\", \"params\"}}")
            }
            // Our own replies come back on a plain broker: they have no method. Ignore them quietly.
            guard let methodValue = data["method"] else { return }
            guard let method = methodValue.stringValue, let id = data["id"]?.intValue else {
                return malformed(topic, "the RPC for '\(PlatformText.clip(device))' has no numeric id or string method")
            }
            let params = (data["params"] ?? .null).unwrappingJSONString
            if let refusal = admission.admit(device) {
                logger.warning("RPC \(PlatformText.clip(method)) (id \(id)) for '\(PlatformText.clip(device))' refused: \(refusal)")
                group.addTask { await self.reply(device: device, id: id, data: ["error": .string(refusal)]) }
                return
            }
            group.addTask {
                await self.serveDeviceRPC(platformName: device, id: id, method: method, params: params)
                self.admission.release(device)
            }
        case Topic.attributes:
            // Our own attribute uploads ({"<device>": {...}}, no "device" key) come back on a plain broker: not ours to handle.
            if payload["device"] == nil, let members = payload.objectValue, members.values.allSatisfy({ $0.objectValue != nil }) { return }
            guard let device = payload["device"]?.stringValue, let data = payload["data"]?.objectValue else {
                return malformed(topic, "expected {\"device\": string, \"data\": object}")
            }
            var values = data
            values.removeValue(forKey: "deleted")
            guard !values.isEmpty else { return }
            group.addTask { await self.deliverAttributeUpdate(platformName: device, values: values) }
        case Topic.attributesResponse:
            guard let id = payload["id"]?.intValue else { return malformed(topic, "the answer has no numeric id") }
            if !attributeReplies.resolve(id: id, with: payload) {
                logger.debug("ignoring an attribute answer with unknown id \(id)")
            }
        case Topic.gatewayAttributes:
            logger.debug("shared attributes of the gateway: \(message.payloadString)")
            if let values = payload.objectValue {
                for handler in gatewayHooks.attributeHandlers { group.addTask { await handler(values) } }
            }
        default:
            if topic.hasPrefix(Topic.gatewayAttributesResponsePrefix) {
                guard let id = Int64(topic.dropFirst(Topic.gatewayAttributesResponsePrefix.count)) else { return }
                gatewayAttributeReplies.resolve(id: id, with: payload)
            } else if topic.hasPrefix(Topic.gatewayRPCRequestPrefix) {
                routeGatewayRPC(topic: topic, payload: payload, in: &group)
            } else if topic.hasPrefix(Topic.gatewayRPCResponsePrefix) {
                guard let id = Int64(topic.dropFirst(Topic.gatewayRPCResponsePrefix.count)) else { return }
                // Our own replies to the server's RPCs are echoed here by a plain broker: not ours, ignored.
                if !clientRPCReplies.resolve(id: id, with: payload) { messageOutbox.resolve(id: id, with: payload) }
            } else {
                logger.debug("ignoring a message on \(topic)")
            }
        }
    }

    private func routeGatewayRPC(topic: String, payload: JSONValue, in group: inout DiscardingTaskGroup) {
        let idText = topic.dropFirst(Topic.gatewayRPCRequestPrefix.count)
        guard let id = Int64(idText) else { return malformed(topic, "the request id '\(idText)' is not a number") }
        // Our own client-side requests come back on a plain broker.
        if clientRPCReplies.isPending(id) || messageOutbox.isPending(id) { return }
        guard let method = payload["method"]?.stringValue else {
            malformed(topic, "expected {\"method\": string, \"params\": ...}")
            group.addTask { await self.reply(toGatewayRPC: id, with: ["error": "the request has no method"]) }
            return
        }
        let params = (payload["params"] ?? .null).unwrappingJSONString
        if let refusal = admission.admit("") {
            logger.warning("gateway RPC \(PlatformText.clip(method)) (id \(id)) refused: \(refusal)")
            group.addTask { await self.reply(toGatewayRPC: id, with: ["error": .string(refusal)]) }
            return
        }
        if Self.orderedGatewayMethods.contains(method) {
            // Renames and deletes are applied in the order they arrived: A->B then B->C ends as C.
            registryChangeInput.yield((id, method, params))
            return
        }
        group.addTask {
            let result = await self.gatewayRPC.handleGatewayRPC(method: method, params: params)
            await self.reply(toGatewayRPC: id, with: result)
            self.admission.release("")
        }
    }

    /// Applies renames and deletes one at a time, in arrival order, until the link stops.
    private func applyRegistryChanges() async {
        await withTaskCancellationHandler {
            for await change in registryChanges {
                let result = await gatewayRPC.handleGatewayRPC(method: change.method, params: change.params)
                await reply(toGatewayRPC: change.id, with: result)
                admission.release("")
            }
        } onCancel: {
            registryChangeInput.finish()
        }
    }

    private func malformed(_ topic: String, _ expectation: String) {
        statistics.malformedMessage()
        logger.warning("ignoring a malformed message on \(PlatformText.clip(topic)): \(expectation)")
    }

    // MARK: - RPC

    private func serveDeviceRPC(platformName: String, id: Int64, method: String, params: JSONValue) async {
        guard let record = registry.record(platformName: platformName), let connector = directory.connector(named: record.connector) else {
            logger.warning("RPC \(PlatformText.clip(method)) (id \(id)) for unknown device '\(PlatformText.clip(platformName))'")
            await reply(device: platformName, id: id, data: ["error": .string("unknown device '\(PlatformText.clip(platformName))'")])
            statistics.rpcServed(timedOut: false)
            return
        }
        let call = RPCCall(device: record.configuredName, id: id, method: method, params: params)
        let timeoutMs = configuration.rpcTimeoutMs
        let answer = OnceFlag()
        // Whichever finishes first replies; a handler stuck in blocking I/O cannot delay the error reply.
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let data = await connector.handleRPC(call)
                if answer.claim() {
                    self.statistics.rpcServed(timedOut: false)
                    await self.reply(device: self.registry.platformName(of: record.configuredName), id: id, data: data)
                } else {
                    self.logger.warning("RPC \(PlatformText.clip(method)) (id \(id)) on '\(record.configuredName)' finished after its \(timeoutMs) ms deadline; its result was dropped")
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(timeoutMs))
                guard !Task.isCancelled, answer.claim() else { return }
                self.statistics.rpcServed(timedOut: true)
                self.logger.warning("RPC \(PlatformText.clip(method)) (id \(id)) on '\(record.configuredName)' timed out after \(timeoutMs) ms")
                let data = connector.errorReply("RPC \(PlatformText.clip(method)) on '\(PlatformText.clip(platformName))' timed out after \(timeoutMs) ms")
                await self.reply(device: platformName, id: id, data: data)
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func reply(device: String, id: Int64, data: JSONValue) async {
        var writer = JSONWriter()
        writer.raw("{\"device\":"); writer.string(device)
        writer.raw(",\"id\":"); writer.int(id)
        writer.raw(",\"data\":"); writer.value(data); writer.raw("}")
        await publishReply(topic: Topic.rpc, payload: writer.bytes, what: "the reply to RPC \(id) of '\(device)'")
    }

    private func reply(toGatewayRPC id: Int64, with data: JSONValue) async {
        await publishReply(topic: Topic.gatewayRPCResponsePrefix + String(id), payload: data.jsonBytes, what: "the reply to gateway RPC \(id)")
    }

    private func publishReply(topic: String, payload: [UInt8], what: String) async {
        do {
            try await client.publish(topic: topic, payload: payload, qos: configuration.qos)
        } catch {
            logger.error("could not send \(what): \(error)")
        }
    }

    private func deliverAttributeUpdate(platformName: String, values: [String: JSONValue]) async {
        guard let record = registry.record(platformName: platformName), let connector = directory.connector(named: record.connector) else {
            logger.warning("shared attribute update for unknown device '\(PlatformText.clip(platformName))' ignored")
            return
        }
        await connector.handleAttributeUpdate(device: record.configuredName, values: values)
    }

    // MARK: - Requests to the platform

    func nextID() -> Int64 {
        nextRequestID.withLock { id in
            defer { id += 1 }
            return id
        }
    }

    public struct RequestTimeout: Error, CustomStringConvertible {
        public var description: String
    }

    /// Waits until the link is up (connected and subscribed); false after `timeout`.
    public func waitUntilConnected(timeout: Duration) async -> Bool {
        if gate.isOpen { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { _ = await self.gate.waitUntilOpen(); return self.gate.isOpen }
            group.addTask { try? await Task.sleep(for: timeout); return false }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
    }

    /// Asks the platform for attributes of a sub-device (`v1/gateway/attributes/request`),
    /// waiting for the link first when it is down; `timeout` bounds the whole call.
    /// Returns the values found (a key the platform does not have is absent).
    public func requestAttributes(device configuredName: String, keys: [String], shared: Bool = true, timeout: Duration = .seconds(10)) async throws -> [String: JSONValue] {
        let started = ContinuousClock.now
        guard await waitUntilConnected(timeout: timeout) else {
            throw RequestTimeout(description: "not connected to the platform within \(timeout); attributes of '\(configuredName)' not requested")
        }
        let timeout = max(.milliseconds(1), timeout - (ContinuousClock.now - started))
        let id = nextID()
        let platformName = registry.platformName(of: configuredName)
        let request: JSONValue = ["id": .int(id), "device": .string(platformName), "client": .bool(!shared), "keys": .array(keys.map { .string($0) })]
        do {
            let answer = try await attributeReplies.wait(id: id, timeout: timeout) {
                try await self.client.publish(topic: Topic.attributesRequest, payload: request.jsonBytes, qos: self.configuration.qos)
            }
            if let values = answer["values"]?.objectValue { return values }
            if let value = answer["value"], keys.count == 1 { return [keys[0]: value] }
            return [:]
        } catch is PendingReplies.Timeout {
            throw RequestTimeout(description: "the platform did not answer the attribute request for '\(platformName)' within \(timeout)")
        }
    }

    /// A client-side RPC from the gateway to the platform (`getCurrentTime`, `getSessionLimits`, ...).
    public func callPlatform(method: String, params: JSONValue = [:], timeout: Duration) async throws -> JSONValue {
        let id = nextID()
        let request: JSONValue = ["method": .string(method), "params": params]
        do {
            return try await clientRPCReplies.wait(id: id, timeout: timeout) {
                try await self.client.publish(topic: Topic.gatewayRPCRequestPrefix + String(id), payload: request.jsonBytes, qos: self.configuration.qos)
            }
        } catch is PendingReplies.Timeout {
            throw RequestTimeout(description: "the platform did not answer \(method) within \(timeout)")
        }
    }

    private func refreshSessionLimits() async {
        let timeoutMs = configuration.sessionLimitsTimeoutMs
        do {
            let answer = try await callPlatform(method: "getSessionLimits", params: ["timeout": .int(Int64(timeoutMs))], timeout: .milliseconds(timeoutMs))
            let limits = SessionLimits(answer: answer, defaults: defaultLimits)
            sender.apply(limits)
            logger.info("session limits: payload \(limits.maxPayloadSize) bytes, \(limits.maxInflightMessages) in flight (80 % of the server's)")
        } catch {
            sender.apply(defaultLimits)
            logger.info("no session limits from the server (\(error)); using payload \(defaultLimits.maxPayloadSize) bytes, \(defaultLimits.maxInflightMessages) in flight")
        }
    }
}

/// True for the first caller of `claim()` only.
final class OnceFlag: Sendable {
    private let claimed = Mutex(false)

    func claim() -> Bool {
        claimed.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
