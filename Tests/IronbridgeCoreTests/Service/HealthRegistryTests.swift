import IronbridgeCore
import Testing

@Suite("health registry: which parts feed the watchdog")
struct HealthRegistryTests {
    @Test("a part that has not beaten within the limit is stalled; a beat or retiring clears it")
    func stalledParts() async throws {
        let registry = HealthRegistry()
        let line = registry.register("Modbus line a")
        let mqtt = registry.register("MQTT network thread")
        let start = ContinuousClock.now
        #expect(registry.stalled(limit: .seconds(5), now: start).isEmpty)
        let later = start + .seconds(10)
        #expect(registry.stalled(limit: .seconds(5), now: later).map(\.name) == ["MQTT network thread", "Modbus line a"])
        try await Task.sleep(for: .seconds(1))
        mqtt.beat()
        // At least 5.5 s after the line registered, at most 4.5 s (plus this call) after the beat.
        #expect(registry.stalled(limit: .seconds(5), now: ContinuousClock.now + .milliseconds(4500)).map(\.name) == ["Modbus line a"])
        #expect(registry.stalled(limit: .seconds(60), now: later).isEmpty)
        line.retire()
        #expect(registry.partNames == ["MQTT network thread"])
        #expect(registry.stalled(limit: .seconds(5), now: ContinuousClock.now + .seconds(6)).map(\.name) == ["MQTT network thread"])
    }

    @Test("the stall limit defaults to 10 s and follows the watchdog interval")
    func stallLimit() {
        let registry = HealthRegistry()
        #expect(registry.stallLimit == .seconds(10))
        _ = registry.register("part")
        registry.stallLimit = .seconds(1)
        #expect(registry.stalled(now: ContinuousClock.now + .seconds(2)).map(\.name) == ["part"])
    }
}
