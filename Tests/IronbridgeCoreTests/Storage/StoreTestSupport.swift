import Foundation
@testable import IronbridgeCore

/// A durable store configuration in a fresh temporary folder, with limits a test can reach.
func durableStorage(folder: String = temporaryStoreFolder(), maxRecords: Int = 1_000_000, maxBytes: Int = 1 << 30,
                    recordsPerFile: Int = 1000, fileBytes: Int = 8 << 20, ttl: Duration? = nil, readRecords: Int = 100,
                    minFreeBytes: Int = 0, memoryFallback: Int = 100_000, fsyncInterval: Duration = .milliseconds(100)) -> StorageConfig {
    StorageConfig(kind: .file, readRecordsCount: readRecords, maxRecordsCount: maxRecords, folder: folder, maxBytes: maxBytes, ttl: ttl,
                  ttlCheckPeriod: .milliseconds(200), fsyncInterval: fsyncInterval, maxRecordsPerFile: recordsPerFile,
                  maxFileBytes: fileBytes, minFreeBytes: minFreeBytes, memoryFallbackRecords: memoryFallback)
}

func temporaryStoreFolder() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-store-\(UUID().uuidString)").path
}

/// Telemetry of `device` whose value `n` identifies the record.
func numbered(_ range: ClosedRange<Int>, device: String = "Meter", keys: Int = 1) -> [Upload] {
    range.map { n in
        .telemetry(TelemetryRecord(device: device, timestamp: Int64(n), values: (0..<keys).map { DataPoint("k\($0)", .int(Int64(n))) }))
    }
}

extension StoredUpload {
    /// The number a `numbered` record carries.
    var number: Int {
        switch upload {
        case .telemetry(let record): Int(record.timestamp ?? -9)
        case .connect: -1
        case .attributes: -2
        case .disconnect: -3
        case .message: -4
        }
    }
}

extension UploadBuffer {
    /// Reads and releases everything, window by window, as the sender does; returns the numbers in order.
    func drainAll(window: Int = 100, maxWindows: Int = 100_000) async -> [Int] {
        var numbers: [Int] = []
        for _ in 0..<maxWindows {
            let items = await peek(maxCount: window)
            if items.isEmpty { break }
            numbers += items.map(\.number)
            await release(SequenceSet(items.map(\.sequence)))
        }
        return numbers
    }

    func segmentFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: configuration.folder)) ?? []).filter { $0.hasPrefix("segment-") && $0.hasSuffix(".log") }.sorted()
    }
}
