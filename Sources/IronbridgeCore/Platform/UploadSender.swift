import IronbridgeMQTT
import IronbridgeSystem
import Logging
import Synchronization

/// Moves uploads from the store to the broker: reads a window of records, encodes them into
/// batches, hands the batches to libmosquitto in order (several in flight), and releases
/// each batch from the store only when its PUBACK arrives. After every (re)connect it first
/// announces the devices the platform should consider connected.
final class UploadSender: Sendable {
    private let client: MQTTClient
    private let store: any UploadStore
    private let registry: DeviceRegistry
    private let gate: ConnectionGate
    private let statistics: GatewayStatistics
    private let logger: Logger
    private let qos: Int
    private let readCount: Int
    /// The least time between two sends while data keeps coming (`minPackSendDelayMS`).
    private let minSendInterval: Duration
    private let limits: Mutex<SessionLimits>
    private let idle = Mutex<Bool>(true)
    /// Device-to-device messages in flight (their ids and deadlines).
    private let outbox: MessageOutbox
    /// Records per read while a backlog drains.
    static let drainWindowRecords = 100

    init(client: MQTTClient, store: any UploadStore, registry: DeviceRegistry, gate: ConnectionGate, statistics: GatewayStatistics,
         limits: SessionLimits, qos: Int, readCount: Int, minSendInterval: Duration = .zero, logger: Logger,
         outbox: MessageOutbox = MessageOutbox()) {
        self.outbox = outbox
        self.client = client
        self.store = store
        self.registry = registry
        self.gate = gate
        self.statistics = statistics
        self.limits = Mutex(limits)
        self.qos = qos
        self.readCount = readCount
        self.minSendInterval = minSendInterval
        self.logger = logger
    }

    func apply(_ newLimits: SessionLimits) {
        limits.withLock { $0 = newLimits }
        client.setMaxInflightMessages(newLimits.maxInflightMessages)
    }

    var currentLimits: SessionLimits { limits.withLock { $0 } }

    /// True while nothing is being sent (used to drain before shutdown).
    var isIdle: Bool { idle.withLock { $0 } }

    func run() async {
        var announcedSession = 0
        var rate = RateLimiters(currentLimits)
        var rateSource = currentLimits
        let rejectionBackoff = Backoff(initialSeconds: 1, maximumSeconds: 60)
        var rejections = 0
        var drain = DrainReport()
        var draining = false
        while !Task.isCancelled {
            let session = await gate.waitUntilOpen()
            if Task.isCancelled { break }
            if currentLimits != rateSource {
                rateSource = currentLimits
                rate = RateLimiters(rateSource)
            }
            do {
                if session != announcedSession {
                    try await announceConnectedDevices(rate: &rate)
                    announcedSession = session
                }
                // While a backlog drains, windows are small, so that live data (a share of every
                // window) waits for one short window, not for a long one, at the server's rate.
                let window = draining ? min(readCount, Self.drainWindowRecords) : readCount
                let items = await store.peek(maxCount: window)
                draining = await store.statistics().draining
                if let line = drain.update(draining: draining, pointsSent: statistics.snapshot.pointsSent) {
                    logger.notice("\(line)")
                }
                if items.isEmpty {
                    idle.withLock { $0 = true }
                    await store.waitForData()
                    continue
                }
                idle.withLock { $0 = false }
                let started = ContinuousClock.now
                try await send(items, rate: &rate)
                rejections = 0
                // A window that was not full: what arrives in the next moments goes in one batch,
                // not in one message per poll. A full window (a backlog) goes on at once.
                if window > items.count, minSendInterval > .zero {
                    let rest = minSendInterval - (ContinuousClock.now - started)
                    if rest > .zero { try? await Task.sleep(for: rest) }
                }
            } catch let error as MQTTError {
                switch error.kind {
                case .notConnected, .stopped:
                    try? await Task.sleep(for: .milliseconds(50))
                case .rejected(let code):
                    // E.g. 0x97 quota exceeded: the batch stays in the store and goes again, later each time.
                    let delay = rejectionBackoff.delay(attempt: rejections)
                    rejections += 1
                    logger.warning("the platform did not take a batch (MQTT reason code \(code)); it stays stored and is sent again in \(TextFormat.fixed(delay, decimals: 1)) s")
                    try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                default:
                    logger.error("\(error); retrying in 1 s")
                    try? await Task.sleep(for: .seconds(1))
                }
            } catch {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    private func announceConnectedDevices(rate: inout RateLimiters) async throws {
        for record in registry.connectedDevices {
            var writer = JSONWriter()
            writer.raw("{\"device\":"); writer.string(record.platformName)
            writer.raw(",\"type\":"); writer.string(record.type); writer.raw("}")
            try await rate.wait(messages: 1, telemetryPoints: nil)
            try await client.publish(topic: Topic.connect, payload: writer.bytes, qos: qos)
        }
    }

    private func send(_ items: [StoredUpload], rate: inout RateLimiters) async throws {
        let encoder = BatchEncoder(maxPayloadSize: currentLimits.maxPayloadSize, platformName: registry.platformName(of:))
        let (batches, oversized) = encoder.encode(items)
        for item in oversized {
            logger.error("dropping a record of '\(item.upload.device)' with \(item.upload.pointCount) values: alone it exceeds the maximum payload of \(encoder.maxPayloadSize) bytes")
        }
        if !oversized.isEmpty { await store.release(SequenceSet(oversized.map(\.sequence))) }
        var tickets: [(EncodedBatch, PublishTicket)] = []
        tickets.reserveCapacity(batches.count)
        do {
            for batch in batches {
                var (topic, payload) = (batch.topic, batch.payload)
                if let message = batch.message {
                    // A message past its expiry is dropped here (the outbox reports it), not sent.
                    guard let request = outbox.prepare(message, senderPlatformName: registry.platformName(of: message.sender)) else {
                        await store.release(batch.sequences)
                        continue
                    }
                    (topic, payload) = request
                }
                try await rate.wait(messages: 1, telemetryPoints: batch.isTelemetry ? batch.points : nil)
                tickets.append((batch, try client.send(topic: topic, payload: payload, qos: qos)))
            }
        } catch {
            // What was handed over is still acknowledged below; the rest is read again next time.
            try await acknowledge(tickets)
            throw error
        }
        try await acknowledge(tickets)
    }

    private func acknowledge(_ tickets: [(EncodedBatch, PublishTicket)]) async throws {
        for (batch, ticket) in tickets {
            try await ticket.acknowledged()
            await store.release(batch.sequences)
            statistics.messageSent(points: batch.points, records: batch.records, telemetry: batch.isTelemetry)
        }
    }
}

/// The three limits of a session, applied to every message and to telemetry points.
struct RateLimiters {
    private var messages: RateLimiter
    private var telemetryMessages: RateLimiter
    private var telemetryPoints: RateLimiter

    init(_ limits: SessionLimits) {
        messages = RateLimiter(limits.messages)
        telemetryMessages = RateLimiter(limits.telemetryMessages)
        telemetryPoints = RateLimiter(limits.telemetryDataPoints)
    }

    mutating func wait(messages count: Int, telemetryPoints points: Int?) async throws {
        for _ in 0..<10_000 {
            var delay = messages.reserve(count)
            if delay == .zero, let points {
                delay = telemetryMessages.reserve(1)
                if delay == .zero { delay = telemetryPoints.reserve(points) }
            }
            if delay == .zero { return }
            try await Task.sleep(for: delay)
        }
    }
}
