import Logging
import Synchronization

/// Turns values reported by the connectors into device-to-device messages (docs/messages.md).
///
/// `observe` sees every value a connector reports (through ``ConnectorContext``); a value that
/// meets a rule's trigger, outside the rule's rate limit, becomes a message:
/// - to a device of this gateway: handed to `run`'s loop, which calls the target connector's
///   `handleRPC` (the handler platform RPCs reach, with the same deadline), in trigger order,
///   whether the platform is reachable or not;
/// - to any other device: stored with the telemetry (in order, durable, with an expiry) and sent by
///   the upload sender as a client-side RPC of the gateway; the answer comes through the outbox.
/// Either way the outcome is logged, counted and reported as telemetry of the sender
/// (`message_sent` when triggered, `message_result` when the outcome is known).
///
/// Loops are impossible by construction: only values the connectors read from hardware are
/// observed (RPC handling never calls `observe`), and a device that has message rules cannot
/// be the local target of a message (refused at configuration and, for renamed devices, here).
public final class Messenger: Sendable {
    public struct Counters: Sendable, Equatable {
        public var triggered: UInt64 = 0
        public var rateLimited: UInt64 = 0
        public var deliveredLocally: UInt64 = 0
        public var queuedForPlatform: UInt64 = 0
        public var succeeded: UInt64 = 0
        public var noActiveConnection: UInt64 = 0
        public var failed: UInt64 = 0
        public var timedOut: UInt64 = 0
        public var expired: UInt64 = 0
    }

    public static let noActiveConnection = "No active connection to the remote device!"

    public let rules: [MessageRule]
    public let outbox: MessageOutbox
    private let index: [String: [Int]]
    private let senders: Set<String>
    private let states: Mutex<[RuleState]>
    private let nextUID: Mutex<Int64>
    private let counters = Mutex(Counters())
    private let devicesOnPlatform = Mutex<JSONValue?>(nil)
    private let local: AsyncStream<LocalDelivery>
    private let localInput: AsyncStream<LocalDelivery>.Continuation
    private let store: any UploadStore
    private let registry: DeviceRegistry
    private let directory: any ConnectorDirectory
    private let platform: PlatformLink?
    private let rpcTimeoutMs: Int
    private let logger: Logger

    private struct RuleState {
        var previous: JSONValue?
        var lastFired: ContinuousClock.Instant?
        var suppressed = 0
    }

    private struct LocalDelivery: Sendable {
        var message: DeviceMessage
        var triggeredAt: ContinuousClock.Instant
    }

    public init(rules: [MessageRule], outbox: MessageOutbox, store: any UploadStore, registry: DeviceRegistry,
                directory: any ConnectorDirectory, platform: PlatformLink?, rpcTimeoutMs: Int, logger: Logger) {
        self.rules = rules
        self.outbox = outbox
        var index: [String: [Int]] = [:]
        for (position, rule) in rules.enumerated() { index[Self.indexKey(rule.device, rule.key), default: []].append(position) }
        self.index = index
        senders = Set(rules.map(\.device))
        states = Mutex(Array(repeating: RuleState(), count: rules.count))
        nextUID = Mutex(UnixTime.nowMilliseconds * 1_000)
        (local, localInput) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        self.store = store
        self.registry = registry
        self.directory = directory
        self.platform = platform
        self.rpcTimeoutMs = rpcTimeoutMs
        self.logger = logger
    }

    public var statistics: Counters { counters.withLock { $0 } }

    /// The platform's last answer to `getDevices` (nil until one arrived).
    public var knownDevices: JSONValue? { devicesOnPlatform.withLock { $0 } }

    private static func indexKey(_ device: String, _ key: String) -> String { device + "\u{1F}" + key }

    // MARK: - Triggers

    /// Values of `device` as a connector reports them; fires the rules they meet.
    public func observe(device: String, timestamp: Int64?, points: [DataPoint]) {
        guard !index.isEmpty else { return }
        var fired: [(rule: MessageRule, value: JSONValue)] = []
        let now = ContinuousClock.now
        for point in points {
            guard let positions = index[Self.indexKey(device, point.key)] else { continue }
            for position in positions {
                let rule = rules[position]
                let verdict: (fire: Bool, suppressed: Int) = states.withLock { all in
                    let fires = rule.trigger.fires(previous: all[position].previous, current: point.value)
                    all[position].previous = point.value
                    guard fires else { return (false, 0) }
                    if let last = all[position].lastFired, now - last < .milliseconds(rule.minIntervalMs) {
                        all[position].suppressed += 1
                        return (false, all[position].suppressed)
                    }
                    all[position].lastFired = now
                    defer { all[position].suppressed = 0 }
                    return (true, all[position].suppressed)
                }
                if verdict.fire {
                    if verdict.suppressed > 0 {
                        logger.notice("device '\(device)': \(verdict.suppressed) message(s) to '\(rule.target)' on \(rule.key) were rate-limited (at most one per \(rule.minIntervalMs) ms)")
                    }
                    fired.append((rule, point.value))
                } else if verdict.suppressed > 0 {
                    counters.withLock { $0.rateLimited += 1 }
                    if verdict.suppressed == 1 {
                        logger.warning("device '\(device)': message to '\(rule.target)' on \(rule.key) rate-limited (at most one per \(rule.minIntervalMs) ms); further ones are counted")
                    }
                }
            }
        }
        guard !fired.isEmpty else { return }
        let ts = timestamp ?? UnixTime.nowMilliseconds
        var uploads: [Upload] = []
        for (rule, value) in fired {
            counters.withLock { $0.triggered += 1 }
            let uid = nextUID.withLock { uid in
                defer { uid += 1 }
                return uid
            }
            let params = MessageTemplate.render(rule.params, deviceName: registry.platformName(of: device), key: rule.key, value: value, ts: ts)
            let message = DeviceMessage(uid: uid, sender: device, key: rule.key, target: rule.target, method: rule.method, params: params,
                                        createdMs: ts, expiresMs: ts + Int64(rule.expiryMs), timeoutMs: Int64(rule.timeoutMs))
            let isLocal = localTarget(rule.target) != nil
            uploads.append(.telemetry(TelemetryRecord(device: device, timestamp: ts, values: [
                DataPoint("message_sent", ["target": .string(rule.target), "method": .string(rule.method), "params": params, "local": .bool(isLocal)]),
            ])))
            if isLocal {
                localInput.yield(LocalDelivery(message: message, triggeredAt: now))
            } else {
                counters.withLock { $0.queuedForPlatform += 1 }
                logger.debug("device '\(device)': \(rule.method) to '\(rule.target)' queued for the platform")
                uploads.append(.message(message))
            }
        }
        store.append(uploads)
    }

    private func localTarget(_ name: String) -> DeviceRegistry.Record? {
        registry.record(configuredName: name) ?? registry.record(platformName: name)
    }

    // MARK: - Running

    /// Delivers local messages in order, reports the platform's answers, times out silent ones,
    /// and asks the platform for `getDevices` after each connect. Returns when cancelled.
    public func run() async {
        guard !rules.isEmpty else { return }
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await delivery in self.local { await self.deliverLocally(delivery) }
                }
                group.addTask {
                    for await result in self.outbox.outcomes { await self.report(result) }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(100))
                        self.outbox.sweep()
                    }
                }
                if platform != nil, rules.contains(where: { localTarget($0.target) == nil }) {
                    group.addTask { await self.refreshDeviceList() }
                }
            }
        } onCancel: {
            localInput.finish()
            outbox.finish()
        }
    }

    private func deliverLocally(_ delivery: LocalDelivery) async {
        let message = delivery.message
        let data: JSONValue
        if let record = localTarget(message.target), let connector = directory.connector(named: record.connector) {
            if senders.contains(record.configuredName) {
                data = ["error": .string("device '\(record.configuredName)' sends messages itself, so it cannot receive one from '\(message.sender)' (no message may cause another)")]
            } else {
                let call = RPCCall(device: record.configuredName, id: message.uid, method: message.method, params: message.params)
                data = await Self.call(connector, call, timeoutMs: rpcTimeoutMs)
            }
        } else {
            data = ["error": .string("device '\(message.target)' is not a device of this gateway any more")]
        }
        let elapsed = ContinuousClock.now - delivery.triggeredAt
        // GPIO answers {"error": ...}; Modbus, as the Python gateway, {"result": {"error": ...}}.
        let error = data["error"]?.stringValue ?? data["result"]?["error"]?.stringValue
        counters.withLock { c in
            c.deliveredLocally += 1
            if error == nil { c.succeeded += 1 } else { c.failed += 1 }
        }
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        if let error {
            logger.warning("device '\(message.sender)': \(message.method) to local device '\(message.target)' failed: \(PlatformText.clip(error))")
        } else {
            logger.debug("device '\(message.sender)': \(message.method) delivered to local device '\(message.target)' in \(micros) us")
        }
        await reportResult(message, status: error == nil ? "ok" : "error", reply: data, local: true, extra: ["latencyUs": .int(micros)])
    }

    /// The connector's RPC handler with the gateway's RPC deadline, as for a platform RPC.
    private static func call(_ connector: any Connector, _ call: RPCCall, timeoutMs: Int) async -> JSONValue {
        let answer = OnceFlag()
        return await withTaskGroup(of: JSONValue?.self) { group in
            group.addTask {
                let data = await connector.handleRPC(call)
                return answer.claim() ? data : nil
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(timeoutMs))
                guard !Task.isCancelled, answer.claim() else { return nil }
                return connector.errorReply("RPC \(call.method) on '\(call.device)' timed out after \(timeoutMs) ms")
            }
            defer { group.cancelAll() }
            while let next = await group.next() {
                if let data = next { return data }
            }
            return connector.errorReply("RPC \(call.method) on '\(call.device)' was cancelled")
        }
    }

    private func report(_ result: MessageOutbox.Result) async {
        let message = result.message
        let what = "device '\(message.sender)': \(message.method) to '\(message.target)'"
        switch result.outcome {
        case .answered(let answer):
            let error = answer["error"]?.stringValue
            if error == Self.noActiveConnection {
                counters.withLock { $0.noActiveConnection += 1 }
                logger.warning("\(what): the platform answered \"\(Self.noActiveConnection)\"")
                await reportResult(message, status: "noActiveConnection", reply: answer, local: false)
            } else if let error {
                counters.withLock { $0.failed += 1 }
                logger.warning("\(what) failed: \(PlatformText.clip(error))")
                await reportResult(message, status: "error", reply: answer, local: false)
            } else {
                counters.withLock { $0.succeeded += 1 }
                logger.info("\(what): answered \(PlatformText.clip(answer))")
                await reportResult(message, status: "ok", reply: answer, local: false)
            }
        case .timedOut:
            counters.withLock { $0.timedOut += 1 }
            logger.warning("\(what): no answer from the platform within \(message.timeoutMs) ms")
            await reportResult(message, status: "timeout", reply: .null, local: false)
        case .expired:
            counters.withLock { $0.expired += 1 }
            logger.warning("\(what) expired before it could be sent (created at \(message.createdMs), expiry \(message.expiresMs)); dropped")
            await reportResult(message, status: "expired", reply: .null, local: false)
        }
    }

    private func reportResult(_ message: DeviceMessage, status: String, reply: JSONValue, local: Bool, extra: [String: JSONValue] = [:]) async {
        var result: [String: JSONValue] = ["target": .string(message.target), "method": .string(message.method), "status": .string(status),
                                           "reply": reply, "local": .bool(local), "triggeredAt": .int(message.createdMs)]
        result.merge(extra) { _, new in new }
        store.append([.telemetry(TelemetryRecord(device: message.sender, timestamp: UnixTime.nowMilliseconds,
                                                       values: [DataPoint("message_result", .object(result))]))])
    }

    /// After each connect: `getDevices`, answered by the platform, kept for `knownDevices`.
    private func refreshDeviceList() async {
        guard let platform else { return }
        var asked = false
        while !Task.isCancelled {
            if platform.isConnected, !asked {
                asked = true
                do {
                    let answer = try await platform.callPlatform(method: "getDevices", params: [:], timeout: .seconds(10))
                    devicesOnPlatform.withLock { $0 = answer }
                    logger.info("getDevices: the platform answered \(PlatformText.clip(answer))")
                } catch {
                    logger.debug("getDevices: \(error)")
                }
            } else if !platform.isConnected {
                asked = false
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}
