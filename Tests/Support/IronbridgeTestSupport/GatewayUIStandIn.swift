import Foundation
import IronbridgeMQTT
import Synchronization

/// ThingsBoard's gateway UI played over the platform stand-in (thingsboard-gateway-ui.md §1):
/// keeps the gateway device's shared attributes, answers the gateway's requests for them
/// (`v1/devices/me/attributes/request/{n}` -> `{"shared": {...}}`), and writes them on
/// `v1/devices/me/attributes` as the connector editor does.
public final class GatewayUIStandIn: Sendable {
    public let platform: PlatformStandIn
    /// Shared attributes of the gateway device, as JSON text.
    private let shared = Mutex<[String: String]>([:])
    /// What the UI published itself (the stand-in also receives it back).
    private let written = Mutex<[[UInt8]]>([])
    private let answerer = Mutex<Task<Void, Never>?>(nil)

    public init(platform: PlatformStandIn) {
        self.platform = platform
        let task = Task { [weak self] in
            var answered: Set<String> = []
            let deadline = ContinuousClock.now + .seconds(180)
            while ContinuousClock.now < deadline, !Task.isCancelled, let self {
                for message in self.platform.messages where message.topic.hasPrefix("v1/devices/me/attributes/request/") && !answered.contains(message.topic) {
                    answered.insert(message.topic)
                    await self.answer(message)
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        answerer.withLock { $0 = task }
    }

    public func stop() { answerer.withLock { $0?.cancel() } }

    private func answer(_ message: MQTTMessage) async {
        guard let request = try? JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any] else { return }
        let keys = ((request["sharedKeys"] as? String) ?? "").split(separator: ",").map(String.init)
        let table = shared.withLock { $0 }
        var values: [String: Any] = [:]
        for key in keys { if let text = table[key] { values[key] = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) } }
        let id = message.topic.split(separator: "/").last!
        let payload = try! JSONSerialization.data(withJSONObject: ["shared": values])
        try? await platform.client.publish(topic: "v1/devices/me/attributes/response/\(id)", payload: Array(payload))
    }

    /// Saves shared attributes and sends them to the gateway, as the UI does.
    public func write(_ values: [String: Any]) async throws {
        let payload = Array(try JSONSerialization.data(withJSONObject: values))
        shared.withLock { table in
            for (key, value) in values {
                table[key] = String(decoding: try! JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]), as: UTF8.self)
            }
        }
        written.withLock { $0.append(payload) }
        try await platform.client.publish(topic: "v1/devices/me/attributes", payload: payload)
    }

    /// Deletes shared attributes (disable or delete in the UI).
    public func delete(_ keys: [String]) async throws {
        shared.withLock { table in for key in keys { table[key] = nil } }
        let payload = Array(try JSONSerialization.data(withJSONObject: ["deleted": keys]))
        written.withLock { $0.append(payload) }
        try await platform.client.publish(topic: "v1/devices/me/attributes", payload: payload)
    }

    /// The client attribute messages the gateway published on `v1/devices/me/attributes`.
    public var clientAttributeMessages: [[String: Any]] {
        let mine = written.withLock { $0 }
        return platform.messages(on: "v1/devices/me/attributes").filter { !mine.contains($0.payload) }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any]
        }
    }

    /// The latest client attribute `key` the gateway published, if any.
    public func clientAttribute(_ key: String) -> Any? { clientAttributeMessages.last { $0[key] != nil }?[key] }

    /// The gateway's client attribute `name` is the UI's shared one echoed back: the same `ts`
    /// and the same `configurationJson` (§1.5 `isConnectorSynced`).
    public func isSynced(_ name: String) -> Bool {
        guard let text = shared.withLock({ $0[name] }),
              let sharedObject = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return false }
        return clientAttributeMessages.contains { message in
            guard let client = message[name] as? [String: Any] else { return false }
            return (client["ts"] as? NSNumber) == (sharedObject["ts"] as? NSNumber)
                && NSDictionary(dictionary: client["configurationJson"] as? [String: Any] ?? [:]).isEqual(to: sharedObject["configurationJson"] as? [String: Any] ?? [:])
        }
    }
}
