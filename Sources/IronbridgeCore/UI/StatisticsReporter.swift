import IronbridgeSystem
import Logging
import Synchronization

/// Sends what ThingsBoard's built-in gateway dashboard reads (docs/gateway-ui.md, "Statistics"):
/// - on every connect, client attributes `totalMemory`, `totalDisk` and `cpuCount`;
/// - every `statsSendPeriodInSeconds` (the first at once), telemetry `machineStats`,
///   `serviceStats`, `connectorsStats` (per-period deltas as the Python gateway sends them, plus
///   our own figures: storage depth and state, Modbus round trips per line);
/// - every 5 s when they changed, `<name>_ERRORS_COUNT` and `ALL_ERRORS_COUNT`, reset every
///   minute as the Python gateway does;
/// - `connectorName` / `connectorType` once per sub-device, after its first `connect`.
/// Nothing here is stored: it is current state, sent only while connected.
public final class StatisticsReporter: Sendable {
    public static let errorsCheckPeriod: Duration = .seconds(5)
    public static let errorsWindow: Duration = .seconds(60)

    private let platform: PlatformLink
    private let statistics: GatewayStatistics
    private let monitor: GatewayMonitor
    private let store: any UploadStore
    private let registry: DeviceRegistry
    private let connectorList = Mutex(ClosureBox<@Sendable () -> [(name: String, type: String)]>({ [] }))
    private let period: Duration
    private let enabled: Bool
    private let logger: Logger
    private let errorsCheckPeriod: Duration
    private let errorsWindow: Duration

    private struct Baseline {
        var at: ContinuousClock.Instant = .now
        var counters = GatewayStatistics.Snapshot()
        var cpuSeconds: Double?
        var deviceValues: [String: UInt64] = [:]
        var connectorErrors: [String: UInt64] = [:]
        var announced: Set<String> = []
    }

    private let baseline = Mutex(Baseline())
    /// Signalled on connect, so the first statistics go out at once.
    private let connected = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

    public init(platform: PlatformLink, statistics: GatewayStatistics, monitor: GatewayMonitor, store: any UploadStore,
                registry: DeviceRegistry, config: GatewayUIConfig, logger: Logger,
                errorsCheckPeriod: Duration = StatisticsReporter.errorsCheckPeriod, errorsWindow: Duration = StatisticsReporter.errorsWindow) {
        self.platform = platform
        self.statistics = statistics
        self.monitor = monitor
        self.store = store
        self.registry = registry
        self.period = config.statisticsPeriod
        self.enabled = config.statisticsEnabled
        self.logger = logger
        self.errorsCheckPeriod = errorsCheckPeriod
        self.errorsWindow = errorsWindow
        let signal = connected.continuation
        platform.onConnected { signal.yield() }
    }

    private func connectors() -> [(name: String, type: String)] { connectorList.withLock { $0.value }() }

    /// Runs until cancelled; `connectors` lists the running connectors' names and types.
    public func run(connectors: @escaping @Sendable () -> [(name: String, type: String)]) async {
        connectorList.withLock { $0.value = connectors }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.announceDevicesLoop() }
            guard enabled else { return }
            group.addTask { await self.statisticsLoop() }
            group.addTask { await self.errorsLoop() }
        }
    }

    // MARK: Statistics

    private func statisticsLoop() async {
        var iterator = connected.stream.makeAsyncIterator()
        while !Task.isCancelled {
            // Wait for a connect; then one message at once and one every period while connected.
            guard await iterator.next() != nil else { return }
            await sendMachineAttributes()
            while !Task.isCancelled, platform.isConnected {
                await sendStatistics()
                let wake = ContinuousClock.now + period
                // Sleep the period, in short steps so a reconnect restarts the cycle promptly.
                while !Task.isCancelled, ContinuousClock.now < wake, platform.isConnected {
                    try? await Task.sleep(for: min(.milliseconds(200), wake - .now))
                }
            }
        }
    }

    func sendMachineAttributes() async {
        let figures = MachineFigures.read()
        var values: [String: JSONValue] = ["cpuCount": .int(Int64(figures.cpuCount))]
        if let total = figures.memoryTotalBytes { values["totalMemory"] = .string(MachineFigures.humanSize(total)) }
        if let total = figures.diskTotalBytes { values["totalDisk"] = .string(MachineFigures.humanSize(total)) }
        await publish(attributes: .object(values), what: "the machine attributes")
    }

    /// Builds and sends one statistics message; returns it (for tests and `gateway_stats`).
    @discardableResult
    func sendStatistics() async -> JSONValue {
        let message = await statisticsMessage()
        await publish(telemetry: message, what: "the statistics")
        return message
    }

    func statisticsMessage() async -> JSONValue {
        let figures = MachineFigures.read()
        let now = ContinuousClock.now
        let counters = statistics.snapshot
        let stored = await store.statistics()
        let devices = registry.records
        let errorTotals = statistics.errors.totals.perConnector
        var deviceValues: [String: UInt64] = [:]
        for record in devices { deviceValues[record.configuredName] = monitor.activity(of: record.configuredName)?.values ?? 0 }
        let previous = baseline.withLock { b in
            defer {
                b.at = now
                b.counters = counters
                b.cpuSeconds = figures.processCPUSeconds
                b.deviceValues = deviceValues
                b.connectorErrors = errorTotals
            }
            return b
        }
        let elapsed = Self.seconds(now - previous.at)

        var machine: [String: JSONValue] = [
            "msgsSentToPlatform": .int(Int64(clamping: counters.messagesSent &- previous.counters.messagesSent)),
        ]
        if let load = figures.loadAverage15 { machine["totalCpuUsage"] = .double(MachineFigures.round1(load / Double(figures.cpuCount) * 100)) }
        if let used = figures.diskUsedPercent { machine["diskUsage"] = .double(used) }
        if let used = figures.memoryUsedPercent { machine["freeMemory"] = .double(used) }
        if let free = figures.diskFreeBytes { machine["freeDisk"] = .string(MachineFigures.humanSize(free)) }
        if let cpu = figures.processCPUSeconds, let before = previous.cpuSeconds, elapsed > 0 {
            machine["gwProcessCpuUsage"] = .double(MachineFigures.round1(max(0, cpu - before) / elapsed * 100))
        } else if figures.processCPUSeconds != nil {
            machine["gwProcessCpuUsage"] = .double(0)
        }
        if let percent = figures.processMemoryPercent { machine["gwMemory"] = .double(percent) }
        if !figures.processMemory.isEmpty {
            machine["gwProcessMemoryFullInfo"] = .object(figures.processMemory.mapValues { .int(Int64(clamping: $0)) })
        }

        var service: [String: JSONValue] = [
            "storageMsgCount": .int(Int64(stored.pending)),
            "storageMsgPulled": .int(Int64(clamping: counters.recordsSent &- previous.counters.recordsSent)),
            "platformMsgPushed": .int(Int64(clamping: counters.messagesSent &- previous.counters.messagesSent)),
            "platformTsProduced": .int(Int64(clamping: counters.telemetryPointsSent &- previous.counters.telemetryPointsSent)),
            "platformAttrProduced": .int(Int64(clamping: counters.attributePointsSent &- previous.counters.attributePointsSent)),
            // Ours: the store's state.
            "storageType": .string(stored.type),
            "storageDroppedRecords": .int(Int64(clamping: stored.dropped)),
            "storageBytesOnDisk": .int(Int64(stored.bytesOnDisk)),
            "storageDraining": .bool(stored.draining),
            "rpcsServed": .int(Int64(clamping: counters.rpcsServed)),
        ]
        if let age = stored.oldestAgeSeconds { service["storageOldestAgeSeconds"] = .double(MachineFigures.round1(age)) }
        if let error = stored.diskError { service["storageDiskError"] = .string(PlatformText.clip(error, limit: 300)) }

        var perConnector: [String: JSONValue] = [:]
        for (name, _) in connectors() {
            var received: UInt64 = 0
            for record in devices where record.connector == name {
                received += (deviceValues[record.configuredName] ?? 0) &- (previous.deviceValues[record.configuredName] ?? 0)
            }
            let errors = (errorTotals[name] ?? 0) &- (previous.connectorErrors[name] ?? 0)
            perConnector[name] = [
                "connectorMsgsReceived": .int(Int64(clamping: received)),
                "storageMsgPushed": .int(Int64(clamping: received)),
                "connectorsErrors": .int(Int64(clamping: errors)),
            ]
        }
        var message: [String: JSONValue] = [
            "machineStats": .object(machine), "serviceStats": .object(service), "connectorsStats": .object(perConnector),
        ]
        let lines = monitor.lineTimings
        if !lines.isEmpty {
            message["modbusLineStats"] = .object(lines.mapValues { timing in
                var line: [String: JSONValue] = ["requests": .int(Int64(clamping: timing.requests)), "failures": .int(Int64(clamping: timing.failures))]
                if let last = timing.lastMs { line["lastRoundTripMs"] = .double(MachineFigures.round1(last)) }
                if let mean = timing.meanMs { line["meanRoundTripMs"] = .double(MachineFigures.round1(mean)) }
                if let maxMs = timing.maxMs { line["maxRoundTripMs"] = .double(MachineFigures.round1(maxMs)) }
                return .object(line)
            })
        }
        return .object(message)
    }

    // MARK: Error counters

    private func errorsLoop() async {
        var windowStart = ContinuousClock.now
        var lastCheck = ContinuousClock.now - errorsCheckPeriod
        var wasConnected = false
        while !Task.isCancelled {
            let now = ContinuousClock.now
            if now - windowStart >= errorsWindow {
                statistics.errors.resetWindow()
                windowStart = now
            }
            // Right after a connect (all counters, even unchanged), then every check period if they changed.
            let isConnected = platform.isConnected
            if isConnected, !wasConnected || now - lastCheck >= errorsCheckPeriod {
                lastCheck = now
                if let values = statistics.errors.windowTelemetry(force: !wasConnected) {
                    await publish(telemetry: .object(values), what: "the error counters")
                }
            }
            wasConnected = isConnected
            try? await Task.sleep(for: min(.seconds(1), errorsCheckPeriod))
        }
    }

    // MARK: Sub-devices

    /// `connectorName` and `connectorType` (lower case), once per device after its first connect,
    /// through the store so that they follow the `connect` that creates the device.
    private func announceDevicesLoop() async {
        while !Task.isCancelled {
            let types = Dictionary(connectors().map { ($0.name, $0.type.lowercased()) }, uniquingKeysWith: { first, _ in first })
            let fresh = baseline.withLock { b in
                let list = registry.connectedDevices.filter { !b.announced.contains($0.configuredName) && types[$0.connector] != nil }
                for record in list { b.announced.insert(record.configuredName) }
                return list
            }
            if !fresh.isEmpty {
                store.append(fresh.map { record in
                    Upload.attributes(device: record.configuredName, values: [
                        DataPoint("connectorName", .string(record.connector)), DataPoint("connectorType", .string(types[record.connector] ?? "custom")),
                    ])
                })
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    // MARK: Sending

    private func publish(telemetry: JSONValue, what: String) async {
        do {
            try await platform.publishGatewayTelemetry(telemetry)
        } catch {
            logger.debug("\(what) were not sent: \(error)")
        }
    }

    private func publish(attributes: JSONValue, what: String) async {
        do {
            try await platform.publishGatewayAttributes(attributes)
        } catch {
            logger.debug("\(what) were not sent: \(error)")
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
