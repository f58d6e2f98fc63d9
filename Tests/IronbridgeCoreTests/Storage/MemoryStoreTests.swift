import Testing
import IronbridgeTestSupport
@testable import IronbridgeCore

@Suite("the memory store")
struct MemoryStoreTests {
    @Test("keeps order, releases what it is told, and when full drops the oldest, counts them and logs once per episode")
    func boundedAndOrdered() async {
        let logs = LogCapture()
        let store = UploadBuffer(capacity: 3, logger: logs.logger())
        store.append(numbered(1...5))
        let items = await store.peek(maxCount: 10)
        #expect(items.map(\.number) == [3, 4, 5])
        let stats = await store.statistics()
        #expect(stats.pending == 3 && stats.dropped == 2 && stats.type == "memory")
        store.append(numbered(6...7))
        #expect(await store.statistics().dropped == 4)
        #expect(logs.messages(atLeast: .warning).count == 1, "\(logs.messages)")
        store.close()
        #expect(logs.messages.last?.contains("dropped 4 of the oldest records") == true, "\(logs.messages)")
        await store.release(SequenceSet([items[0].sequence, 6]))
        #expect(await store.peek(maxCount: 10).map(\.number) == [5, 7])
    }

    @Test("a backlog drains oldest first with a share of newer telemetry in each window; attributes are never overtaken")
    func liveDataInterleaved() async {
        let store = UploadBuffer(capacity: 100_000)
        store.append(numbered(1...1000))
        #expect(await store.peek(maxCount: 100).map(\.number) == Array(1...100))
        #expect(await store.statistics().draining)
        store.append(numbered(5001...5010))
        store.append([.connect(device: "New", type: "pump")])
        store.append(numbered(6001...6005))
        store.append([.attributes(device: "Meter", values: [DataPoint("a", 1)])])
        store.append(numbered(7001...7003))
        let window = await store.peek(maxCount: 100)
        // Live telemetry (a new device's connect with it) up to the attributes record, then the backlog.
        #expect(window.prefix(16).map(\.number) == Array(5001...5010) + [-1] + Array(6001...6005))
        #expect(window.dropFirst(16).map(\.number) == Array(1...84))
        let numbers = await store.drainAll(window: 100)
        #expect(Set(numbers) == Set(Array(1...1000) + Array(5001...5010) + Array(6001...6005) + Array(7001...7003) + [-1, -2]))
        // The attributes come after every record appended before them, and before what followed them.
        let attributes = numbers.firstIndex(of: -2)!
        #expect(attributes > numbers.firstIndex(of: 1000)! && attributes < numbers.firstIndex(of: 7001)!)
        #expect(!(await store.statistics().draining))
        #expect(await store.statistics().pending == 0)
    }
}
