import Foundation
import IronbridgeMQTT
import Logging
import Synchronization

/// Plays ThingsBoard's side in tests over a real broker: subscribes to everything the
/// gateway publishes, records it, sends RPCs and attribute updates the way the platform does,
/// and (optionally) answers `getSessionLimits` and attribute requests.
public final class PlatformStandIn: Sendable {
    public let client: MQTTClient
    private let received = Mutex<[MQTTMessage]>([])
    private let options: Options
    private let consumer = Mutex<Task<Void, Never>?>(nil)

    public struct Options: Sendable {
        /// The answer to the gateway's getSessionLimits RPC; nil: stay silent like a plain broker.
        public var sessionLimits: String?
        /// Shared attributes served to `v1/gateway/attributes/request`, by device then key.
        public var sharedAttributes: [String: [String: String]]
        /// Answers to the gateway's own client-side RPCs (`v1/devices/me/rpc/request/{n}`) by method,
        /// as JSON text (e.g. `"sendMsg": "{\"status\":\"ok\"}"`); a method not listed is not answered.
        public var clientRPCAnswers: [String: String]

        public init(sessionLimits: String? = nil, sharedAttributes: [String: [String: String]] = [:], clientRPCAnswers: [String: String] = [:]) {
            self.sessionLimits = sessionLimits
            self.sharedAttributes = sharedAttributes
            self.clientRPCAnswers = clientRPCAnswers
        }
    }

    public init(brokerPort: Int, options: Options = Options()) async throws {
        self.options = options
        var logger = Logger(label: "platform-stand-in")
        logger.logLevel = .critical
        client = try MQTTClient(
            configuration: MQTTConfiguration(host: "127.0.0.1", port: brokerPort, clientID: "platform-\(UUID().uuidString.prefix(8))",
                                             protocolVersion: .v311, reconnect: Backoff(initialSeconds: 0.05, maximumSeconds: 0.2)),
            logger: logger)
        client.subscribe("v1/gateway/#")
        client.subscribe("v1/devices/me/#")
        let events = client.events
        let task = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                if case .message(let message) = event { await self.receive(message) }
            }
        }
        consumer.withLock { $0 = task }
        client.start()
        guard await eventually(within: 10, { self.client.isReady }) else {
            throw TestSupportError("the platform stand-in could not connect to 127.0.0.1:\(brokerPort)")
        }
    }

    public func stop() async {
        await client.stop()
        consumer.withLock { $0?.cancel() }
    }

    private func receive(_ message: MQTTMessage) async {
        received.withLock { $0.append(message) }
        if message.topic.hasPrefix("v1/devices/me/rpc/request/"), let answer = options.sessionLimits,
           let object = json(message), object["method"] as? String == "getSessionLimits" {
            let id = message.topic.split(separator: "/").last!
            try? await client.publish(topic: "v1/devices/me/rpc/response/\(id)", payload: Array(answer.utf8))
        }
        if message.topic.hasPrefix("v1/devices/me/rpc/request/"), let object = json(message), let method = object["method"] as? String,
           let answer = options.clientRPCAnswers[method] {
            let id = message.topic.split(separator: "/").last!
            try? await client.publish(topic: "v1/devices/me/rpc/response/\(id)", payload: Array(answer.utf8))
        }
        if message.topic == "v1/gateway/attributes/request", let object = json(message),
           let id = object["id"] as? Int, let device = object["device"] as? String {
            let keys = (object["keys"] as? [String]) ?? [(object["key"] as? String)].compactMap { $0 }
            let known = options.sharedAttributes[device] ?? [:]
            var values: [String: Any] = [:]
            for key in keys { if let raw = known[key], let value = try? JSONSerialization.jsonObject(with: Data(raw.utf8), options: [.fragmentsAllowed]) { values[key] = value } }
            let answer: [String: Any] = ["id": id, "device": device, "values": values]
            if let data = try? JSONSerialization.data(withJSONObject: answer) {
                try? await client.publish(topic: "v1/gateway/attributes/response", payload: Array(data))
            }
        }
    }

    // MARK: Inspection

    public var messages: [MQTTMessage] { received.withLock { $0 } }

    public func messages(on topic: String) -> [MQTTMessage] { messages.filter { $0.topic == topic } }

    /// Payloads on `topic` parsed as JSON objects.
    public func objects(on topic: String) -> [[String: Any]] {
        messages(on: topic).compactMap { json($0) }
    }

    /// The gateway's client-side RPC requests (`v1/devices/me/rpc/request/{n}`) with `method`, in arrival order.
    public func clientRPCs(method: String) -> [(id: Int64, request: [String: Any])] {
        messages.compactMap { message -> (Int64, [String: Any])? in
            guard message.topic.hasPrefix("v1/devices/me/rpc/request/"), let id = Int64(message.topic.split(separator: "/").last ?? ""),
                  let object = json(message), object["method"] as? String == method else { return nil }
            return (id, object)
        }
    }

    public func clear() { received.withLock { $0.removeAll() } }

    /// Every telemetry record the gateway sent for `device`, in order: (ts, values).
    public func telemetry(of device: String) -> [(ts: Int64?, values: [String: Any])] {
        var out: [(Int64?, [String: Any])] = []
        for object in objects(on: "v1/gateway/telemetry") {
            guard let records = object[device] as? [[String: Any]] else { continue }
            for record in records {
                out.append(((record["ts"] as? NSNumber)?.int64Value, record["values"] as? [String: Any] ?? [:]))
            }
        }
        return out
    }

    /// Waits for a message on `topic` whose JSON satisfies `predicate`.
    public func waitFor(_ topic: String, within seconds: Double = 10, where predicate: @escaping ([String: Any]) -> Bool = { _ in true }) async -> [String: Any]? {
        var found: [String: Any]?
        _ = await eventually(within: seconds) {
            found = self.objects(on: topic).first(where: predicate)
            return found != nil
        }
        return found
    }

    // MARK: Acting as the platform

    /// Sends a server-side RPC to a sub-device; returns the gateway's reply `data`, or nil after `seconds`.
    public func rpc(device: String, id: Int, method: String, params: Any, within seconds: Double = 10) async throws -> [String: Any]? {
        let request: [String: Any] = ["device": device, "data": ["id": id, "method": method, "params": params]]
        try await client.publish(topic: "v1/gateway/rpc", payload: Array(try JSONSerialization.data(withJSONObject: request, options: [.fragmentsAllowed])))
        let reply = await waitFor("v1/gateway/rpc", within: seconds) { object in
            object["device"] as? String == device && (object["id"] as? Int) == id && (object["data"] as? [String: Any])?["method"] == nil
        }
        return reply?["data"] as? [String: Any]
    }

    /// Sends raw bytes to a topic (for malformed-input tests).
    public func publishRaw(_ topic: String, _ payload: String) async throws {
        try await client.publish(topic: topic, payload: Array(payload.utf8))
    }

    /// Sends an RPC to the gateway itself; returns its reply parsed, or nil after `seconds`.
    public func gatewayRPC(id: Int, method: String, params: Any, within seconds: Double = 10) async throws -> Any? {
        let request: [String: Any] = ["method": method, "params": params]
        try await client.publish(topic: "v1/devices/me/rpc/request/\(id)", payload: Array(try JSONSerialization.data(withJSONObject: request, options: [.fragmentsAllowed])))
        var reply: Any?
        _ = await eventually(within: seconds) {
            if let message = self.messages(on: "v1/devices/me/rpc/response/\(id)").first {
                reply = try? JSONSerialization.jsonObject(with: Data(message.payload), options: [.fragmentsAllowed])
            }
            return reply != nil
        }
        return reply
    }

    /// Sends a shared attribute update for a sub-device.
    public func updateSharedAttributes(device: String, _ values: [String: Any]) async throws {
        let update: [String: Any] = ["device": device, "data": values]
        try await client.publish(topic: "v1/gateway/attributes", payload: Array(try JSONSerialization.data(withJSONObject: update)))
    }

    private func json(_ message: MQTTMessage) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any]
    }
}
