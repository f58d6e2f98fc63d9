import Foundation
import IronbridgeTestSupport
import Testing
@testable import IronbridgeCore

@Suite("the durable store")
struct DurableStoreTests {
    @Test("what was appended and not released is there after a reopen, in order; released records are not")
    func survivesReopen() async throws {
        let configuration = durableStorage(recordsPerFile: 50)
        do {
            let store = UploadBuffer(configuration: configuration, logger: nil)
            store.append(numbered(1...300))
            let first = await store.peek(maxCount: 40)
            await store.release(SequenceSet(first.map(\.sequence)))
            // No close(): as after a crash, nothing but what reached the files counts.
        }
        let reopened = UploadBuffer(configuration: configuration, logger: nil)
        defer { reopened.close() }
        #expect(await reopened.statistics().pending == 260)
        #expect(await reopened.drainAll(window: 64) == Array(41...300))
        #expect(reopened.segmentFiles().count == 1, "\(reopened.segmentFiles())")
    }

    @Test("sequences keep growing across restarts, so old releases never hide new records")
    func sequencesContinue() async {
        let configuration = durableStorage(recordsPerFile: 10)
        var lastSequence: UInt64 = 0
        for round in 0..<3 {
            let store = UploadBuffer(configuration: configuration, logger: nil)
            store.append(numbered((round * 100 + 1)...(round * 100 + 25)))
            let items = await store.peek(maxCount: 1000)
            #expect(items.map(\.number) == Array((round * 100 + 1)...(round * 100 + 25)))
            #expect(items.first!.sequence > lastSequence)
            lastSequence = items.last!.sequence
            await store.release(SequenceSet(items.map(\.sequence)))
            store.close()
        }
    }

    @Test("releases out of order (live data first) are remembered across a reopen")
    func outOfOrderReleasesPersist() async {
        let configuration = durableStorage(recordsPerFile: 100, readRecords: 100)
        do {
            let store = UploadBuffer(configuration: configuration, logger: nil)
            store.append(numbered(1...500))
            _ = await store.peek(maxCount: 100)
            store.append(numbered(1001...1020))
            let window = await store.peek(maxCount: 100)
            #expect(window.prefix(20).map(\.number) == Array(1001...1020))
            await store.release(SequenceSet(window.map(\.sequence)))
        }
        let reopened = UploadBuffer(configuration: configuration, logger: nil)
        defer { reopened.close() }
        #expect(await reopened.drainAll(window: 100).sorted() == Array(81...500))
    }

    @Test("the record limit drops whole oldest files, counts the records and logs the episode once")
    func recordLimit() async {
        let logs = LogCapture()
        let store = UploadBuffer(configuration: durableStorage(maxRecords: 400, recordsPerFile: 50), logger: logs.logger())
        defer { store.close() }
        for start in stride(from: 1, through: 1000, by: 10) { store.append(numbered(start...(start + 9))) }
        let stats = await store.statistics()
        #expect(stats.pending <= 400 && stats.pending > 300, "\(stats)")
        #expect(stats.dropped == UInt64(1000 - stats.pending))
        let numbers = await store.drainAll()
        #expect(numbers == Array((1001 - stats.pending)...1000))
        #expect(logs.messages(atLeast: .warning).filter { $0.contains("storage is full") }.count == 1, "\(logs.messages)")
        #expect(store.segmentFiles().count <= 2)
    }

    @Test("the byte limit holds the journal's size")
    func byteLimit() async {
        let store = UploadBuffer(configuration: durableStorage(maxBytes: 256 << 10, recordsPerFile: 100_000, fileBytes: 32 << 10), logger: nil)
        defer { store.close() }
        for start in stride(from: 1, through: 20_000, by: 100) { store.append(numbered(start...(start + 99), keys: 5)) }
        let stats = await store.statistics()
        #expect(stats.bytesOnDisk <= (256 + 40) << 10, "\(stats)")
        #expect(stats.dropped > 0 && stats.pending + Int(stats.dropped) == 20_000)
    }

    @Test("records older than the TTL are dropped by the housekeeping")
    func timeToLive() async throws {
        let configuration = durableStorage(recordsPerFile: 10, ttl: .seconds(60))
        do {
            let store = UploadBuffer(configuration: configuration, logger: nil)
            store.append(numbered(1...30))
            store.close()
        }
        // Age the three full files by two minutes, as if written then.
        let old = Date().addingTimeInterval(-120)
        for name in try FileManager.default.contentsOfDirectory(atPath: configuration.folder) where name.hasPrefix("segment-") {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: "\(configuration.folder)/\(name)")
        }
        let store = UploadBuffer(configuration: configuration, logger: nil)
        defer { store.close() }
        store.append(numbered(31...35))
        #expect(await eventually(within: 5) { await store.statistics().dropped == 30 })
        #expect(await store.drainAll() == Array(31...35))
    }

    @Test("fsyncs happen on the store's own thread at the configured interval")
    func periodicSync() async {
        let store = UploadBuffer(configuration: durableStorage(fsyncInterval: .milliseconds(50)), logger: nil)
        defer { store.close() }
        store.append(numbered(1...10))
        #expect(await eventually(within: 5) { await store.statistics().fsyncs >= 2 })
    }
}
