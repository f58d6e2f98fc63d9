import Synchronization

/// Who is told when the link connects and when the gateway device's shared attributes change
/// (`v1/devices/me/attributes`). Handlers are added before `run()`; each call runs in its own task.
public final class GatewayDeviceHooks: Sendable {
    public typealias ConnectHandler = @Sendable () async -> Void
    public typealias AttributesHandler = @Sendable ([String: JSONValue]) async -> Void
    private let connect = Mutex<[ConnectHandler]>([])
    private let attributes = Mutex<[AttributesHandler]>([])

    var connectHandlers: [ConnectHandler] { connect.withLock { $0 } }
    var attributeHandlers: [AttributesHandler] { attributes.withLock { $0 } }
    func add(connect handler: @escaping ConnectHandler) { connect.withLock { $0.append(handler) } }
    func add(attributes handler: @escaping AttributesHandler) { attributes.withLock { $0.append(handler) } }
}

/// The gateway as a device of its own (the device API, `v1/devices/me/...`): its telemetry and
/// client attributes (statistics, logs), requests for its shared attributes, and hooks.
/// What is sent here is not stored: it is current state, sent only while connected.
extension PlatformLink {
    /// Runs `handler` after every (re)connect, once the subscriptions are made.
    public func onConnected(_ handler: @escaping GatewayDeviceHooks.ConnectHandler) { gatewayHooks.add(connect: handler) }

    /// Runs `handler` with every shared-attribute update of the gateway device (the object as
    /// the platform sent it; `deleted` lists removed keys). On a plain broker the gateway's own
    /// client attributes come back here too: handlers act only on the keys they own.
    public func onGatewayAttributes(_ handler: @escaping GatewayDeviceHooks.AttributesHandler) { gatewayHooks.add(attributes: handler) }

    /// Publishes `payload` on a device-API topic at the configured QoS, if connected.
    /// Returns false (and sends nothing) when the link is down.
    @discardableResult
    public func publishOwn(topic: String, payload: [UInt8]) async throws -> Bool {
        guard isConnected else { return false }
        try await client.publish(topic: topic, payload: payload, qos: configuration.qos)
        return true
    }

    @discardableResult
    public func publishGatewayTelemetry(_ values: JSONValue) async throws -> Bool {
        try await publishOwn(topic: Topic.gatewayTelemetry, payload: values.jsonBytes)
    }

    @discardableResult
    public func publishGatewayAttributes(_ values: JSONValue) async throws -> Bool {
        try await publishOwn(topic: Topic.gatewayAttributes, payload: values.jsonBytes)
    }

    /// Asks for attributes of the gateway device (`v1/devices/me/attributes/request/{id}`);
    /// returns the answer as sent (`{"shared": {...}, "client": {...}}`).
    public func requestGatewayAttributes(sharedKeys: [String], clientKeys: [String] = [], timeout: Duration = .seconds(10)) async throws -> JSONValue {
        let id = nextID()
        var request: [String: JSONValue] = [:]
        if !sharedKeys.isEmpty { request["sharedKeys"] = .string(sharedKeys.joined(separator: ",")) }
        if !clientKeys.isEmpty { request["clientKeys"] = .string(clientKeys.joined(separator: ",")) }
        let payload = JSONValue.object(request).jsonBytes
        do {
            return try await gatewayAttributeReplies.wait(id: id, timeout: timeout) {
                try await self.client.publish(topic: Topic.gatewayAttributesRequestPrefix + String(id), payload: payload, qos: self.configuration.qos)
            }
        } catch is PendingReplies.Timeout {
            throw RequestTimeout(description: "the platform did not answer the request for the gateway's attributes \(sharedKeys.joined(separator: ",")) within \(timeout)")
        }
    }
}
