import Foundation
import IronbridgeMQTT
import IronbridgeTestSupport
import Logging
import Synchronization
import Testing

/// Records a client's events from a task owned by the test.
final class EventLog: Sendable {
    private let storage = Mutex<[MQTTEvent]>([])
    private let consumer = Mutex<Task<Void, Never>?>(nil)

    init(_ client: MQTTClient) {
        let stream = client.events
        let task = Task { [self] in
            for await event in stream { self.storage.withLock { $0.append(event) } }
        }
        consumer.withLock { $0 = task }
    }

    var all: [MQTTEvent] { storage.withLock { $0 } }

    var messages: [MQTTMessage] {
        all.compactMap { if case .message(let message) = $0 { message } else { nil } }
    }

    var connectCount: Int { all.filter { if case .connected = $0 { true } else { false } }.count }
    var refusals: [MQTTConnectRefusal] { all.compactMap { if case .refused(let refusal) = $0 { refusal } else { nil } } }
    var connectFailures: [(String, Double)] {
        all.compactMap { if case .connectFailed(let reason, let retry) = $0 { (reason, retry) } else { nil } }
    }
}

func makeClient(port: Int, clientID: String, username: String? = nil, password: String? = nil,
                version: MQTTConfiguration.ProtocolVersion = .v5, refusedRetry: Double = 60) throws -> MQTTClient {
    var logger = Logger(label: "mqtt-test")
    logger.logLevel = .critical
    return try MQTTClient(
        configuration: MQTTConfiguration(
            host: "127.0.0.1", port: port, clientID: clientID, username: username, password: password, keepAliveSeconds: 10,
            protocolVersion: version, reconnect: Backoff(initialSeconds: 0.05, maximumSeconds: 0.4), refusedRetryDelaySeconds: refusedRetry),
        logger: logger)
}

@Suite("MQTT client over libmosquitto against a real mosquitto", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct MQTTClientTests {
    @Test("a QoS 1 publish completes on PUBACK and reaches a subscriber", arguments: [MQTTConfiguration.ProtocolVersion.v311, .v5])
    func publishReachesSubscriber(version: MQTTConfiguration.ProtocolVersion) async throws {
        let broker = try MosquittoBroker()
        let subscriber = try makeClient(port: broker.port, clientID: "sub", version: version)
        let publisher = try makeClient(port: broker.port, clientID: "pub", version: version)
        let log = EventLog(subscriber)
        subscriber.subscribe("test/#")
        subscriber.start()
        publisher.start()
        #expect(await eventually { subscriber.isReady && publisher.isReady })
        for index in 0..<50 {
            try await publisher.publish(topic: "test/\(index)", payload: Array("payload \(index)".utf8), qos: 1)
        }
        #expect(await eventually { log.messages.count == 50 })
        #expect(log.messages.map(\.payloadString) == (0..<50).map { "payload \($0)" })
        #expect(log.messages.first?.topic == "test/0")
        await publisher.stop()
        await subscriber.stop()
    }

    @Test("pipelined sends are acknowledged in order")
    func pipelinedSends() async throws {
        let broker = try MosquittoBroker()
        let publisher = try makeClient(port: broker.port, clientID: "pub")
        publisher.start()
        #expect(await eventually { publisher.isConnected })
        var tickets: [PublishTicket] = []
        for index in 0..<200 { tickets.append(try publisher.send(topic: "bulk", payload: Array(String(index).utf8), qos: 1)) }
        for ticket in tickets { try await ticket.acknowledged() }
        #expect(Set(tickets.map(\.messageID)).count == 200)
        await publisher.stop()
    }

    @Test("publishing while disconnected fails at once with notConnected")
    func publishWhileDisconnected() async throws {
        let client = try makeClient(port: try Loopback.freePort(), clientID: "lonely")
        await #expect(throws: MQTTError.self) {
            try await client.publish(topic: "x", payload: [1], qos: 1)
        }
        do {
            try await client.publish(topic: "x", payload: [1], qos: 1)
        } catch {
            #expect(error.kind == .notConnected)
            #expect(error.description.contains("127.0.0.1"))
        }
    }

    @Test("subscriptions are restored after the broker restarts")
    func subscriptionsSurviveBrokerRestart() async throws {
        let broker = try MosquittoBroker()
        let subscriber = try makeClient(port: broker.port, clientID: "sub")
        let log = EventLog(subscriber)
        subscriber.subscribe("after/restart")
        subscriber.start()
        #expect(await eventually { subscriber.isConnected })
        try broker.restart()
        #expect(await eventually(within: 15) { log.connectCount >= 2 && subscriber.isReady })
        let publisher = try makeClient(port: broker.port, clientID: "pub")
        publisher.start()
        #expect(await eventually { publisher.isReady })
        try await publisher.publish(topic: "after/restart", payload: Array("hello again".utf8), qos: 1)
        #expect(await eventually { log.messages.contains { $0.payloadString == "hello again" } })
        #expect(log.all.contains { if case .disconnected = $0 { true } else { false } })
        await publisher.stop()
        await subscriber.stop()
    }

    @Test("a rejected password is reported as a refusal naming the broker, and retried slowly", arguments: [MQTTConfiguration.ProtocolVersion.v311, .v5])
    func refusedCredentials(version: MQTTConfiguration.ProtocolVersion) async throws {
        let broker = try MosquittoBroker(users: ["gateway": "right"])
        let client = try makeClient(port: broker.port, clientID: "gw", username: "gateway", password: "wrong", version: version, refusedRetry: 30)
        let log = EventLog(client)
        client.start()
        #expect(await eventually { !log.refusals.isEmpty })
        let refusal = try #require(log.refusals.first)
        #expect(refusal.kind == .notAuthorized || refusal.kind == .badCredentials)
        #expect(refusal.description.contains("127.0.0.1:\(broker.port)"))
        #expect(refusal.description.contains("retrying in 30 s"))
        // A slow retry: no second attempt within a second.
        try await Task.sleep(for: .seconds(1))
        #expect(log.refusals.count == 1)
        #expect(!client.isConnected)
        await client.stop()
    }

    @Test("the right password connects")
    func acceptedCredentials() async throws {
        let broker = try MosquittoBroker(users: ["gateway": "right"])
        let client = try makeClient(port: broker.port, clientID: "gw", username: "gateway", password: "right")
        client.start()
        #expect(await eventually { client.isConnected })
        await client.stop()
        #expect(!client.isConnected)
    }

    @Test("an unreachable broker gives connect failures with growing, jittered back-off")
    func unreachableBroker() async throws {
        let port = try Loopback.freePort()
        let client = try makeClient(port: port, clientID: "gw")
        let log = EventLog(client)
        client.start()
        #expect(await eventually(within: 10) { log.connectFailures.count >= 4 })
        let failures = log.connectFailures
        #expect(failures[0].0.contains("127.0.0.1:\(port)"))
        #expect(failures[0].0.contains("refused"))
        // Back-off: attempt n waits within [c/2, c] where c = min(0.4, 0.05 * 2^n).
        for (attempt, failure) in failures.prefix(4).enumerated() {
            let ceiling = min(0.4, 0.05 * Double(1 << attempt))
            #expect(failure.1 >= ceiling / 2 - 1e-9 && failure.1 <= ceiling + 1e-9, "attempt \(attempt) waited \(failure.1)")
        }
        let started = ContinuousClock.now
        await client.stop()
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test("back-off ceilings double up to the maximum")
    func backoffCeilings() {
        let backoff = Backoff(initialSeconds: 1, maximumSeconds: 60)
        #expect((0..<8).map { backoff.ceiling(attempt: $0) } == [1, 2, 4, 8, 16, 32, 60, 60])
        var generator = SystemRandomNumberGenerator()
        for attempt in 0..<10 {
            let delay = backoff.delay(attempt: attempt, using: &generator)
            #expect(delay >= backoff.ceiling(attempt: attempt) / 2 && delay <= backoff.ceiling(attempt: attempt))
        }
    }
}
