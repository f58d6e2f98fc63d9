// Storage benchmark: the durable journal against the memory store, side by side, in one run.
// Prints: sustained append rate (records/s and points/s at 100 keys per record) with a consumer
// releasing as the sender does; CPU per point at an offered 100k points/s, durable vs memory;
// bytes written to disk per point (/proc/self/io write_bytes) and the ratio to the JSON payload
// the platform receives; fsyncs per second; and the drain rate of a 1M-point backlog after a
// reopen. Usage: swift run -c release storage-benchmark [folder]   (default: a folder under /var/tmp)
import Foundation
import IronbridgeCore

let keysPerRecord = 100
let folderRoot = CommandLine.arguments.dropFirst().first ?? "/var/tmp/ironbridge-storage-bench-\(getpid())"

func record(_ n: Int) -> Upload {
    .telemetry(TelemetryRecord(device: "Bench \(n % 100)", timestamp: 1_764_000_000_000 + Int64(n),
                               values: (0..<keysPerRecord).map { DataPoint("r\($0)", .int(Int64((n * 7 + $0) % 65536))) }))
}

/// The JSON the platform receives for a record (`{"ts":…,"values":{…}}` under its device).
func payloadBytes(_ upload: Upload) -> Int {
    guard case .telemetry(let r) = upload else { return 0 }
    var writer = JSONWriter()
    writer.string(r.device); writer.raw(":[{\"ts\":"); writer.int(r.timestamp!); writer.raw(",\"values\":{")
    for (i, p) in r.values.enumerated() {
        if i > 0 { writer.raw(",") }
        writer.string(p.key); writer.raw(":"); writer.value(p.value)
    }
    writer.raw("}}]")
    return writer.count
}

/// Prints one line at once, also when stdout is a pipe.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func writeBytes() -> Int {
    let text = (try? String(contentsOfFile: "/proc/self/io", encoding: .utf8)) ?? ""
    for line in text.split(separator: "\n") where line.hasPrefix("write_bytes:") {
        return Int(line.split(separator: " ").last ?? "0") ?? 0
    }
    return 0
}

func durable(_ name: String, maxRecords: Int = 10_000_000) -> StorageConfig {
    StorageConfig(kind: .file, readRecordsCount: 1000, maxRecordsCount: maxRecords, folder: "\(folderRoot)/\(name)", maxBytes: 8 << 30,
                  ttl: nil, ttlCheckPeriod: .seconds(3600), fsyncInterval: .seconds(1), maxRecordsPerFile: 10_000,
                  maxFileBytes: 8 << 20, minFreeBytes: 0, memoryFallbackRecords: 100_000)
}

/// A consumer as the sender: reads a window, releases it (no network).
func consume(_ store: UploadBuffer, until stop: @escaping @Sendable () -> Bool) -> Thread {
    let thread = Thread {
        while !stop() {
            let items = store.peekNow(maxCount: 1000)
            if items.isEmpty {
                let ready = DispatchSemaphore(value: 0)
                let waiter = Task.detached { await store.waitForData(); ready.signal() }
                if ready.wait(timeout: .now() + .milliseconds(100)) == .timedOut { waiter.cancel() }
                continue
            }
            let sequences = SequenceSet(items.map(\.sequence))
            let done = DispatchSemaphore(value: 0)
            Task.detached { await store.release(sequences); done.signal() }
            done.wait()
        }
    }
    thread.start()
    return thread
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

struct Run {
    var records = 0
    var cpu = 0.0
    var seconds = 0.0
    var written = 0
    var payload = 0
    var fsyncs: UInt64 = 0
}

/// Appends `perTick` records every 10 ms for `seconds` (or as fast as possible when `paced` is false).
func offer(_ store: UploadBuffer, seconds: Double, recordsPerSecond: Int?, batch: Int = 10) -> Run {
    let stop = Flag()
    let consumer = consume(store) { stop.isSet }
    let samples = (0..<1000).map(record)
    let payloadPerRecord = samples.map(payloadBytes).reduce(0, +) / samples.count
    let cpu0 = cpuSeconds(), written0 = writeBytes()
    let start = Date()
    var n = 0
    while Date().timeIntervalSince(start) < seconds {
        store.append((0..<batch).map { samples[(n + $0) % samples.count] })
        n += batch
        if let rate = recordsPerSecond {
            let due = start.addingTimeInterval(Double(n) / Double(rate))
            let wait = due.timeIntervalSinceNow
            if wait > 0 { usleep(UInt32(wait * 1e6)) }
        }
    }
    let elapsed = Date().timeIntervalSince(start)
    stop.set()
    while consumer.isExecuting { usleep(1000) }
    return Run(records: n, cpu: cpuSeconds() - cpu0, seconds: elapsed, written: writeBytes() - written0,
               payload: payloadPerRecord * n, fsyncs: store.statisticsNow().fsyncs)
}

try? FileManager.default.removeItem(atPath: folderRoot)
say("storage benchmark: \(keysPerRecord) keys per record, journal under \(folderRoot)")

// 1. Offered 100k points/s (1,000 records/s) for 10 s: memory and durable, side by side.
let offered = 100_000 / keysPerRecord
let memory = UploadBuffer(configuration: .memory(maxRecords: 1_000_000), logger: nil)
let memoryRun = offer(memory, seconds: 10, recordsPerSecond: offered)
let journal = UploadBuffer(configuration: durable("offered"), logger: nil)
let durableRun = offer(journal, seconds: 10, recordsPerSecond: offered)
journal.close()
for (name, run) in [("memory ", memoryRun), ("durable", durableRun)] {
    let points = Double(run.records * keysPerRecord)
    say("\(name): offered 100k points/s: \(Int(points / run.seconds)) points/s stored, CPU \(String(format: "%.2f", run.cpu / points * 1e6)) us per point (\(String(format: "%.1f", run.cpu / run.seconds * 100)) % of a core)")
}
let ratio = (durableRun.cpu / Double(durableRun.records)) / (memoryRun.cpu / Double(memoryRun.records))
say("durable/memory CPU per point: \(String(format: "%.2f", ratio))x")
let durablePoints = Double(durableRun.records * keysPerRecord)
say("durable: \(String(format: "%.1f", Double(durableRun.written) / durablePoints)) bytes written per point; JSON payload \(String(format: "%.1f", Double(durableRun.payload) / durablePoints)) bytes per point; write amplification \(String(format: "%.2f", Double(durableRun.written) / Double(durableRun.payload)))x")
say("durable: \(String(format: "%.1f", Double(durableRun.fsyncs) / durableRun.seconds)) fsyncs/s (\(durableRun.fsyncs) in \(String(format: "%.1f", durableRun.seconds)) s)")

// 2. Sustained append rate, unpaced, with a consumer releasing (5 s).
let fast = UploadBuffer(configuration: durable("sustained"), logger: nil)
let fastRun = offer(fast, seconds: 5, recordsPerSecond: nil)
fast.close()
say("durable: sustained \(Int(Double(fastRun.records) / fastRun.seconds)) records/s = \(Int(Double(fastRun.records * keysPerRecord) / fastRun.seconds)) points/s appended and released, CPU \(String(format: "%.2f", fastRun.cpu / Double(fastRun.records * keysPerRecord) * 1e6)) us per point")

// 3. A 1M-point backlog (10,000 records), the store reopened as after a restart, then drained.
do {
    let backlog = UploadBuffer(configuration: durable("backlog"), logger: nil)
    for start in stride(from: 0, to: 10_000, by: 100) { backlog.append((start..<(start + 100)).map(record)) }
    backlog.close()
}
let reopened = UploadBuffer(configuration: durable("backlog"), logger: nil)
let drainStart = Date(), drainCPU = cpuSeconds()
var drained = 0
for _ in 0..<100_000 {
    let items = reopened.peekNow(maxCount: 1000)
    if items.isEmpty { break }
    drained += items.reduce(0) { $0 + $1.upload.pointCount }
    let encoded = items.reduce(0) { $0 + payloadBytes($1.upload) }  // the JSON the sender would build
    precondition(encoded > 0)
    let sequences = SequenceSet(items.map(\.sequence))
    let done = DispatchSemaphore(value: 0)
    Task.detached { await reopened.release(sequences); done.signal() }
    done.wait()
}
let drainSeconds = Date().timeIntervalSince(drainStart)
reopened.close()
say("durable: drained a backlog of \(drained) points after a reopen in \(String(format: "%.2f", drainSeconds)) s: \(Int(Double(drained) / drainSeconds)) points/s read, encoded and released (CPU \(String(format: "%.2f", cpuSeconds() - drainCPU)) s; no network)")
try? FileManager.default.removeItem(atPath: folderRoot)
