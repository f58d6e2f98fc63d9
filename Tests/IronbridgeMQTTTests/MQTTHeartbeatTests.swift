import Foundation
import IronbridgeMQTT
import IronbridgeTestSupport
import Logging
import Synchronization
import Testing

/// The network thread feeds the gateway's watchdog: it calls the heartbeat at least once a second,
/// also while it waits out a long reconnect back-off (a back-off is not a hang).
@Suite("MQTT network thread heartbeat")
struct MQTTHeartbeatTests {
    @Test("the heartbeat goes on during a 30 s reconnect back-off")
    func beatsDuringBackoff() async throws {
        let port = try Loopback.freePort()  // nobody listens: every attempt is refused
        let client = try MQTTClient(
            configuration: MQTTConfiguration(host: "127.0.0.1", port: port, reconnect: Backoff(initialSeconds: 30, maximumSeconds: 30)),
            logger: Logger(label: "test"))
        let beats = Atomic<Int>(0)
        client.setHeartbeat { beats.add(1, ordering: .relaxed) }
        client.start()
        // Wait for the first refusal: the thread then sleeps 15 to 30 s before the next attempt.
        var failed = false
        for await event in client.events {
            if case .connectFailed = event { failed = true; break }
        }
        #expect(failed)
        let before = beats.load(ordering: .relaxed)
        // At one beat a second, two arrive well within 10 s; without beats in the back-off, none would.
        #expect(await eventually(within: 10) { beats.load(ordering: .relaxed) >= before + 2 })
        await client.stop()
    }
}
