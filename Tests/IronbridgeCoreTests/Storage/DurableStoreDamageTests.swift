import Foundation
import IronbridgeTestSupport
import Testing
@testable import IronbridgeCore

@Suite("the durable store with damaged files")
struct DurableStoreDamageTests {
    /// Writes 1...count in files of `perFile` records and leaves them as a crash would.
    func journal(count: Int, perFile: Int) async -> StorageConfig {
        let configuration = durableStorage(recordsPerFile: perFile)
        let store = UploadBuffer(configuration: configuration, logger: nil)
        for start in stride(from: 1, through: count, by: 10) { store.append(numbered(start...min(count, start + 9), keys: 3)) }
        store.close()
        return configuration
    }

    func overwrite(_ path: String, at offset: UInt64, with bytes: [UInt8]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    @Test("a torn last record is cut off, set aside and reported; everything before it is delivered")
    func tornTail() async throws {
        let configuration = await journal(count: 100, perFile: 1000)
        let store0 = UploadBuffer(configuration: configuration, logger: nil)
        let segment = "\(configuration.folder)/\(store0.segmentFiles()[0])"
        store0.close()
        // Half a record at the end, as when power fails in the middle of a write.
        var half: [UInt8] = []
        JournalRecord.append(sequence: 101, storedAt: 0, upload: numbered(101...101)[0], to: &half)
        let size = try FileManager.default.attributesOfItem(atPath: segment)[.size] as! UInt64
        try overwrite(segment, at: size, with: Array(half.prefix(half.count / 2)))

        let logs = LogCapture()
        let store = UploadBuffer(configuration: configuration, logger: logs.logger())
        defer { store.close() }
        #expect(await store.drainAll() == Array(1...100))
        #expect(await store.statistics().corrupted == 1)
        let report = logs.messages(atLeast: .error).first ?? ""
        #expect(report.contains(segment) && report.contains("1 record(s) lost") && report.contains("damaged-at-"), "\(logs.messages)")
        #expect(FileManager.default.fileExists(atPath: "\(segment).damaged-at-\(size)"))
        store.append(numbered(200...201))
        #expect(await store.drainAll() == [200, 201])
    }

    @Test("garbage written at random offsets loses only the records it hit, each counted; the rest arrive in order")
    func garbageInTheMiddle() async throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<5 {
            let configuration = await journal(count: 600, perFile: 200)
            let files = try FileManager.default.contentsOfDirectory(atPath: configuration.folder).filter { $0.hasPrefix("segment-") }.sorted()
            // Damage one older file and the newest file with records, at random places.
            for name in [files[0], files[files.count - 2]] {
                let path = "\(configuration.folder)/\(name)"
                let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! UInt64
                for _ in 0..<3 {
                    let offset = UInt64.random(in: 8..<(size - 40), using: &generator)
                    try overwrite(path, at: offset, with: (0..<UInt8.random(in: 1...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
                }
            }
            let logs = LogCapture()
            let store = UploadBuffer(configuration: configuration, logger: logs.logger())
            let numbers = await store.drainAll(window: 50)
            let stats = await store.statistics()
            store.close()
            #expect(numbers == numbers.sorted(), "round \(round): out of order")
            #expect(Set(numbers).count == numbers.count, "round \(round): duplicates")
            #expect(numbers.count + Int(stats.corrupted) == 600, "round \(round): \(numbers.count) delivered, \(stats.corrupted) counted lost")
            #expect(stats.corrupted > 0 && stats.corrupted < 60, "round \(round): \(stats.corrupted)")
            #expect(!logs.messages(atLeast: .error).isEmpty)
            #expect(stats.pending == 0)
        }
    }

    @Test("a file cut short (truncated) loses only the records past the cut, counted; the files after it are delivered")
    func truncatedFile() async throws {
        let configuration = await journal(count: 300, perFile: 100)
        let files = try FileManager.default.contentsOfDirectory(atPath: configuration.folder).filter { $0.hasPrefix("segment-") }.sorted()
        let path = "\(configuration.folder)/\(files[1])"
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! UInt64
        truncate(path, off_t(size / 2))
        let store = UploadBuffer(configuration: configuration, logger: nil)
        defer { store.close() }
        let numbers = await store.drainAll()
        let stats = await store.statistics()
        #expect(numbers.count + Int(stats.corrupted) == 300, "\(numbers.count) delivered, \(stats.corrupted) lost")
        #expect(numbers.prefix(100) == ArraySlice(1...100) && numbers.suffix(100) == ArraySlice(201...300))
        #expect(stats.corrupted > 40 && stats.corrupted < 60)
    }

    @Test("a file overwritten with garbage entirely is reported and skipped")
    func wholeFileGarbage() async throws {
        let configuration = await journal(count: 300, perFile: 100)
        let files = try FileManager.default.contentsOfDirectory(atPath: configuration.folder).filter { $0.hasPrefix("segment-") }.sorted()
        let path = "\(configuration.folder)/\(files[1])"
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! UInt64
        try overwrite(path, at: 0, with: [UInt8](repeating: 0xAB, count: Int(size)))
        let store = UploadBuffer(configuration: configuration, logger: nil)
        defer { store.close() }
        let numbers = await store.drainAll()
        #expect(numbers == Array(1...100) + Array(201...300))
        #expect(await store.statistics().corrupted == 100)
    }
}
