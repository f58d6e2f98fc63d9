import Foundation
import Testing
@testable import IronbridgeCore

/// The journal's `message` record kind (device-to-device messages, docs/messages.md), added in
/// a way that keeps journals written before it readable.
@Suite("the journal's message records")
struct MessageRecordTests {
    static let message = DeviceMessage(uid: 1_763_950_000_123_000, sender: "Door Panel", key: "door", target: "Controller A", method: "sendMsg",
                                       params: ["open": 1, "from": "Door Panel", "list": [1.5, "x", .null], "big": .uint(UInt64.max)],
                                       createdMs: 1_763_950_000_123, expiresMs: 1_763_950_300_123, timeoutMs: 10_000)

    /// Records as the codec wrote them before the message kind existed, byte for byte (frozen:
    /// never regenerate these from the current encoder).
    static let olderRecords: [(bytes: [UInt8], upload: Upload)] = [
        ([0x01, 0x02, 0x50, 0x31, 0x04, 0x70, 0x75, 0x6D, 0x70], .connect(device: "P1", type: "pump")),
        ([0x02, 0x02, 0x50, 0x31], .disconnect(device: "P1")),
        ([0x03, 0x02, 0x50, 0x31, 0x01, 0x01, 0x76, 0x03, 0x04], .telemetry(TelemetryRecord(device: "P1", timestamp: nil, values: [DataPoint("v", 2)]))),
        ([0x04, 0x02, 0x50, 0x31, 0x02, 0x01, 0x01, 0x76, 0x02], .telemetry(TelemetryRecord(device: "P1", timestamp: 1, values: [DataPoint("v", true)]))),
        ([0x05, 0x02, 0x50, 0x31, 0x01, 0x01, 0x73, 0x05, 0x01, 0x41], .attributes(device: "P1", values: [DataPoint("s", "A")])),
    ]

    @Test("records written before the message kind existed decode unchanged")
    func olderRecordsStillDecode() throws {
        for (bytes, upload) in Self.olderRecords {
            let decoded = try bytes.withUnsafeBytes { try UploadCodec.decode($0) }
            #expect(decoded == upload)
            var encoded: [UInt8] = []
            UploadCodec.encode(upload, into: &encoded)
            #expect(encoded == bytes, "the older kinds are still written as before")
        }
    }

    @Test("a message comes back exactly; a kind beyond the known ones is still refused")
    func messageRoundTrip() throws {
        var bytes: [UInt8] = []
        UploadCodec.encode(.message(Self.message), into: &bytes)
        #expect(bytes.first == 6)
        let decoded = try bytes.withUnsafeBytes { try UploadCodec.decode($0) }
        #expect(decoded == .message(Self.message))
        bytes[0] = 7
        #expect(throws: UploadCodec.DecodingError.self) { try bytes.withUnsafeBytes { try UploadCodec.decode($0) } }
        bytes[0] = 6
        bytes.removeLast()
        #expect(throws: UploadCodec.DecodingError.self) { try bytes.withUnsafeBytes { try UploadCodec.decode($0) } }
    }

    @Test("a durable journal with older records and messages reopens with everything in order")
    func journalWithMessagesSurvivesReopen() async throws {
        let configuration = durableStorage(recordsPerFile: 50)
        let uploads: [Upload] = Self.olderRecords.map(\.upload) + [.message(Self.message)] + numbered(1...3)
        do {
            let store = UploadBuffer(configuration: configuration, logger: nil)
            store.append(uploads)
        }
        let reopened = UploadBuffer(configuration: configuration, logger: nil)
        defer { reopened.close() }
        let read = await reopened.peek(maxCount: 100).map(\.upload)
        #expect(read == uploads)
    }
}
