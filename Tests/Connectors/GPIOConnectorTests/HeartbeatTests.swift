import Foundation
import GPIOConnector
import IronbridgeCore
import IronbridgeTestSupport
import Testing

/// The chip thread feeds the systemd watchdog: it registers with the gateway's health registry,
/// beats while it serves the chip, and retires when the connector stops.
@Suite("GPIO chip thread heartbeat", .timeLimit(.minutes(1)))
struct HeartbeatTests {
    static let simulated = """
    {"devices": [{"deviceName": "Panel", "chip": "gpiochip0", "backend": "simulated",
      "lines": [{"pin": 17, "key": "door", "direction": "input", "edge": "both"}]}]}
    """

    @Test("the chip thread beats while it runs and retires on stop")
    func beatsWhileRunning() async throws {
        let gateway = try RunningConnector(Self.simulated)
        let health = gateway.monitor.health
        #expect(await eventually(within: 10) { health.partNames == ["GPIO chip gpiochip0"] }, "\(health.partNames)")
        // Its loop turns at least every 100 ms: 3 s after the start it has beaten within the last 2 s.
        try await Task.sleep(for: .seconds(3))
        #expect(health.stalled(limit: .seconds(2)).isEmpty, "\(health.stalled(limit: .seconds(2)).map(\.name))")
        await gateway.stop()
        #expect(await eventually(within: 10) { health.partNames.isEmpty }, "\(health.partNames)")
    }
}
