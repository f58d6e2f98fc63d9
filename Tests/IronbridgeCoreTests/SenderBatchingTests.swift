import IronbridgeCore
import IronbridgeTestSupport
import Testing

/// The sender's batching (`thingsboard.minPackSendDelayMS`): after a send that was not a full
/// window, what arrives during the delay goes in one message, not one message per poll.
@Suite("sender batching", .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct SenderBatchingTests {
    /// Sends one record, then `count` more, one at a time and `gapMs` apart; returns the
    /// telemetry messages that carried the later ones.
    private func messagesForTrickle(delayMs: Int, count: Int = 40, gapMs: Int = 5) async throws -> Int {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try startGateway(broker: broker, extra: #", "minPackSendDelayMS": \#(delayMs)"#)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        let start = nowMs()
        await gateway.testConnector.send([TelemetryRecord(device: "Meter 1", timestamp: start, values: [DataPoint("n", 0)])])
        #expect(await eventually { platform.telemetry(of: "Meter 1").count == 1 })
        let first = platform.messages(on: "v1/gateway/telemetry").count
        for n in 1...count {
            await gateway.testConnector.send([TelemetryRecord(device: "Meter 1", timestamp: start + Int64(n), values: [DataPoint("n", .int(Int64(n)))])])
            try await Task.sleep(for: .milliseconds(gapMs))
        }
        #expect(await eventually { platform.telemetry(of: "Meter 1").count == count + 1 })
        let messages = platform.messages(on: "v1/gateway/telemetry").count - first
        await gateway.stop()
        await platform.stop()
        return messages
    }

    @Test("records that trickle in during minPackSendDelayMS share a message; with 0 each goes at once")
    func trickleIsBatched() async throws {
        let batched = try await messagesForTrickle(delayMs: 400)
        // 40 records over about 200 ms, all inside one 400 ms delay (two if the machine is slow).
        #expect(batched <= 3, "\(batched) messages")
        let unbatched = try await messagesForTrickle(delayMs: 0)
        #expect(unbatched > 3, "\(unbatched) messages")
    }
}
