import Testing
import IronbridgeTestSupport
@testable import IronbridgeCore

@Suite("the memory store")
struct MemoryStoreTests {
    @Test("keeps order, releases what it is told, and when full drops the oldest, counts them and logs once per episode")
    func boundedAndOrdered() async {
        let logs = LogCapture()
        let store = UploadBuffer(capacity: 3, logger: logs.logger())
        await store.append(numbered(1...5))
        let items = await store.peek(maxCount: 10)
        #expect(items.map(\.number) == [3, 4, 5])
        let stats = await store.statistics()
        #expect(stats.pending == 3 && stats.dropped == 2 && stats.type == "memory")
        await store.append(numbered(6...7))
        #expect(await store.statistics().dropped == 4)
        #expect(logs.messages(atLeast: .warning).count == 1, "\(logs.messages)")
        store.close()
        #expect(logs.messages.last?.contains("dropped 4 of the oldest records") == true, "\(logs.messages)")
        await store.release(SequenceSet([items[0].sequence, 6]))
        #expect(await store.peek(maxCount: 10).map(\.number) == [5, 7])
    }

    @Test("a backlog drains oldest first with a share of newer telemetry in each window; connect and attributes are never overtaken")
    func liveDataInterleaved() async {
        let store = UploadBuffer(capacity: 100_000)
        await store.append(numbered(1...1000))
        #expect(await store.peek(maxCount: 100).map(\.number) == Array(1...100))
        #expect(await store.statistics().draining)
        await store.append(numbered(5001...5010))
        await store.append([.connect(device: "New", type: "pump")])
        await store.append(numbered(6001...6005))
        let window = await store.peek(maxCount: 100)
        // Live telemetry up to the connect; what follows it waits until the connect went.
        #expect(window.prefix(10).map(\.number) == Array(5001...5010))
        #expect(window.dropFirst(10).map(\.number) == Array(1...90))
        let numbers = await store.drainAll(window: 100)
        #expect(Set(numbers) == Set(Array(1...1000) + Array(5001...5010) + Array(6001...6005) + [-1]))
        // The connect comes after every record appended before it, and before the telemetry after it.
        let connect = numbers.firstIndex(of: -1)!
        #expect(connect > numbers.firstIndex(of: 1000)!)
        #expect(connect < numbers.firstIndex(of: 6001)!)
        #expect(!(await store.statistics().draining))
        #expect(await store.statistics().pending == 0)
    }
}
