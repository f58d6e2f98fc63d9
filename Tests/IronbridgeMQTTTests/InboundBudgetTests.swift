import Foundation
@testable import IronbridgeMQTT
import IronbridgeTestSupport
import Logging
import Testing

@Suite("received messages waiting for a slow consumer", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct InboundBudgetTests {
    @Test("at most the budget waits in memory; beyond it messages are dropped; the ones kept arrive in order")
    func boundedBacklog() async throws {
        let broker = try MosquittoBroker()
        var logger = Logger(label: "budget-test")
        logger.logLevel = .critical
        var configuration = MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "slow", keepAliveSeconds: 10,
                                              reconnect: Backoff(initialSeconds: 0.05, maximumSeconds: 0.4))
        configuration.maxBufferedInboundBytes = 1 << 20
        let slow = try MQTTClient(configuration: configuration, logger: logger)
        slow.subscribe("flood/#")
        slow.start()
        let publisher = try makeClient(port: broker.port, clientID: "flooder")
        publisher.start()
        #expect(await eventually { slow.isReady && publisher.isReady })
        let payload = [UInt8](repeating: 0x61, count: 100_000)
        for index in 0..<60 {
            try await publisher.publish(topic: "flood/\(index)", payload: payload, qos: 1)
        }
        // Nobody consumes yet: 6 MB were sent, at most the budget (plus one message) waits here.
        try await Task.sleep(for: .seconds(1))
        #expect(slow.bufferedInboundBytes <= (1 << 20) + 100_000, "\(slow.bufferedInboundBytes) bytes waiting")
        var topics: [String] = []
        let expected = (slow.bufferedInboundBytes + 99_999) / 100_000
        for await event in slow.events {
            if case .message(let message) = event {
                topics.append(message.topic)
                if topics.count == expected { break }
            }
        }
        // The first ones, in order; the ones that did not fit were dropped.
        #expect(topics == (0..<expected).map { "flood/\($0)" })
        #expect(expected < 60 && expected >= 10, "\(expected) kept")
        #expect(slow.bufferedInboundBytes == 0)
        await slow.stop()
        await publisher.stop()
    }
}
