import Foundation
import IronbridgeTestSupport
import Testing
@testable import IronbridgeCore

@Suite("the durable store on a full or read-only disk", .enabled(if: TmpfsMount.isAvailable, "mounting a tmpfs needs root"))
struct DurableStoreDiskFaultTests {
    @Test("a full disk (ENOSPC) is reported once; new data stays in memory and is delivered; when space returns it goes to disk")
    func fullDisk() async throws {
        let mount = try #require(TmpfsMount.make(sizeKiB: 256))
        defer { mount.unmount() }
        let logs = LogCapture()
        let configuration = durableStorage(folder: "\(mount.path)/store", recordsPerFile: 200, fileBytes: 64 << 10)
        let store = UploadBuffer(configuration: configuration, logger: logs.logger())
        var appended = 0
        for _ in 0..<2000 where await store.statistics().diskError == nil {
            store.append(numbered((appended + 1)...(appended + 10), keys: 5))
            appended += 10
        }
        let error = try #require(await store.statistics().diskError)
        #expect(error.contains("ENOSPC") && error.contains(mount.path), "\(error)")
        // The gateway goes on: more data, all of it readable, in order.
        store.append(numbered((appended + 1)...(appended + 500), keys: 5))
        appended += 500
        #expect(logs.messages(atLeast: .error).filter { $0.contains("No space left on device") }.count == 1, "\(logs.messages)")
        let firstHalf = await store.peek(maxCount: 50)
        #expect(firstHalf.first?.number == 1)

        // Space comes back: the records kept in memory are written within one retry period.
        #expect(mount.resize(kiB: 8192))
        #expect(await eventually(within: 15) { await store.statistics().diskError == nil })
        #expect(await eventually(within: 5) { logs.messages.contains { $0.contains("can be written again") } }, "\(logs.messages)")
        store.close()
        let reopened = UploadBuffer(configuration: configuration, logger: nil)
        defer { reopened.close() }
        #expect(await reopened.drainAll(window: 500) == Array(1...appended))
    }

    @Test("a read-only data folder: the store says so and keeps forwarding from memory")
    func readOnlyFolder() async throws {
        let mount = try #require(TmpfsMount.make(sizeKiB: 1024))
        defer { mount.unmount() }
        #expect(mount.makeReadOnly())
        let logs = LogCapture()
        let store = UploadBuffer(configuration: durableStorage(folder: "\(mount.path)/store"), logger: logs.logger())
        defer { store.close() }
        store.append(numbered(1...20))
        let stats = await store.statistics()
        #expect(stats.diskError?.contains("EROFS") == true, "\(stats)")
        #expect(logs.messages(atLeast: .error).first?.contains("\(mount.path)/store") == true, "\(logs.messages)")
        #expect(await store.drainAll() == Array(1...20))
    }
}
