import Testing
@testable import IronbridgeCore

@Suite("the journal's record format")
struct UploadCodecTests {
    static let samples: [Upload] = [
        .connect(device: "Pump 1", type: "pump"),
        .disconnect(device: "Pump 1"),
        .telemetry(TelemetryRecord(device: "Meter é", timestamp: 1_700_000_000_123, values: [
            DataPoint("big", .int(Int64.max)), DataPoint("negative", .int(-17)), DataPoint("pi", .double(3.141592653589793)),
            DataPoint("on", true), DataPoint("none", .null), DataPoint("text", "ünïcode ✓"),
            DataPoint("nested", .object(["list": .array([1, 2.5, "x"]), "flag": false])),
        ])),
        .telemetry(TelemetryRecord(device: "NoTime", timestamp: nil, values: [DataPoint("v", 1)])),
        .attributes(device: "Pump 1", values: [DataPoint("serial", "A-1"), DataPoint("min", .int(Int64.min))]),
        .telemetry(TelemetryRecord(device: "Meter", timestamp: 1, values: [
            DataPoint("u64", .uint(17_275_436_391_653_061_650)), DataPoint("max", .uint(UInt64.max)),
            DataPoint("list", .array([.uint(9_223_372_036_854_775_808), .int(Int64.max)])),
        ])),
        .attributes(device: "Meter", values: [DataPoint("serial", .uint(17_275_436_391_653_061_650))]),
    ]

    @Test("every kind of upload and value comes back exactly, 64-bit integers included")
    func roundTrip() throws {
        for upload in Self.samples {
            var bytes: [UInt8] = []
            UploadCodec.encode(upload, into: &bytes)
            let decoded = try bytes.withUnsafeBytes { try UploadCodec.decode($0) }
            #expect(decoded == upload)
        }
    }

    @Test("a framed record passes its checksum; any flipped byte fails it, and the reader finds the next record")
    func framing() {
        var bytes: [UInt8] = []
        JournalRecord.append(sequence: 7, storedAt: 99, upload: Self.samples[2], to: &bytes)
        let firstLength = bytes.count
        JournalRecord.append(sequence: 8, storedAt: 100, upload: Self.samples[0], to: &bytes)
        bytes.withUnsafeBytes { raw in
            guard case .frame(let frame) = JournalRecord.parse(raw, at: 0) else { Issue.record("no frame"); return }
            #expect(frame.sequence == 7 && frame.storedAt == 99 && frame.length == firstLength)
        }
        for position in stride(from: 0, to: firstLength, by: 7) {
            var damaged = bytes
            damaged[position] ^= 0x5A
            damaged.withUnsafeBytes { raw in
                if case .frame = JournalRecord.parse(raw, at: 0) { Issue.record("byte \(position) flipped, still accepted") }
                let next = JournalRecord.resynchronise(raw, after: 0, above: 6)
                #expect(next?.sequence == 8 && next?.offset == firstLength)
            }
        }
        bytes.removeLast(3)
        bytes.withUnsafeBytes { raw in
            guard case .incomplete = JournalRecord.parse(raw, at: firstLength) else { Issue.record("a torn record was not seen as incomplete"); return }
        }
    }
}
