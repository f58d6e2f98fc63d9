import CMosquitto
import IronbridgeSystem
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Calls `mosquitto_lib_init` once per process.
private let libraryInitialisation: Void = { _ = mosquitto_lib_init() }()

/// The state behind an ``MQTTClient``: the `mosquitto *` handle, the network thread and the
/// table of QoS 1 publishes waiting for their PUBACK.
///
/// `@unchecked Sendable` because the only stored mutable state is inside `state` (a pthread mutex)
/// and `handle`, a pointer whose calls libmosquitto itself serialises: the handle is
/// put in threaded mode, every callback runs on the one network thread, and the handle is
/// destroyed only in `deinit`, after that thread has ended (the thread holds a strong reference).
final class MQTTSession: @unchecked Sendable {
    struct State {
        var started = false
        var stopping = false
        var connected = false
        var refusedCode: Int32?
        var subscriptions: [(topic: String, qos: Int32)] = []
        /// QoS 1 publishes waiting for their PUBACK, by message id.
        var waiters: [Int32: CheckedContinuation<Void, any Error>] = [:]
        /// PUBACKs that arrived before their publisher registered a waiter (reason code by mid).
        var early: [Int32: Int32] = [:]
        /// QoS 0 message ids whose on_publish must be ignored.
        var unawaited: Set<Int32> = []
        /// SUBACKs still awaited after a connect; `.connected` is announced when none are left.
        var pendingSubscriptions: Set<Int32> = []
        var connectAnnounced = true
        var sessionPresent = false
        var threadExited = false
    }

    let configuration: MQTTConfiguration
    let logger: Logger
    private let handle: OpaquePointer
    private let events: AsyncStream<MQTTEvent>.Continuation
    private let inboundBudget: InboundBudget
    private let state = Locked(State())
    /// Set once the network thread has ended (what `stop` waits for, within its time limit).
    private let networkThreadEnded = AsyncState(false)
    /// Wakes the network thread out of a back-off sleep when stopping.
    private let wakeup = ThreadCondition()
    /// Called by the network thread at least once a second while it is not stuck (the watchdog).
    private let heartbeat = Locked(ClosureBox<(@Sendable () -> Void)?>(nil))

    init(configuration: MQTTConfiguration, events: AsyncStream<MQTTEvent>.Continuation, inboundBudget: InboundBudget, logger: Logger) throws(MQTTError) {
        self.inboundBudget = inboundBudget
        _ = libraryInitialisation
        self.configuration = configuration
        self.events = events
        self.logger = logger
        guard let handle = mosquitto_new(configuration.clientID, true, nil) else {
            throw MQTTError(operation: "creating the MQTT client", endpoint: configuration.endpoint, kind: .library(code: Int32(MOSQ_ERR_NOMEM.rawValue)))
        }
        self.handle = handle
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        try configure()
    }

    deinit {
        mosquitto_destroy(handle)
    }

    private func check(_ rc: Int32, _ operation: String) throws(MQTTError) {
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            throw MQTTError(operation: operation, endpoint: configuration.endpoint, kind: .library(code: rc))
        }
    }

    private func configure() throws(MQTTError) {
        let c = configuration
        try check(mosquitto_threaded_set(handle, true), "enabling threaded mode")
        let version = c.protocolVersion == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311
        try check(mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, version), "setting the MQTT protocol version")
        try check(mosquitto_int_option(handle, MOSQ_OPT_TCP_NODELAY, 1), "disabling Nagle's algorithm")
        if c.username != nil || c.password != nil {
            try check(mosquitto_username_pw_set(handle, c.username, c.password), "setting the user name and password")
        }
        if let tls = c.tls {
            // Without a CA file, trust the system's store.
            let caPath: String? = tls.caFile == nil ? "/etc/ssl/certs" : nil
            try check(mosquitto_tls_set(handle, tls.caFile, caPath, tls.certFile, tls.keyFile, nil),
                      "setting up TLS (CA \(tls.caFile ?? caPath!), certificate \(tls.certFile ?? "none"), key \(tls.keyFile ?? "none"))")
            if tls.insecure {
                try check(mosquitto_tls_opts_set(handle, 0, nil, nil), "disabling TLS certificate verification")
                try check(mosquitto_tls_insecure_set(handle, true), "disabling TLS host name verification")
            }
        }
        mosquitto_connect_with_flags_callback_set(handle) { handle, context, rc, flags in
            MQTTSession.from(context).didConnect(rc: rc, flags: flags)
        }
        mosquitto_disconnect_callback_set(handle) { _, context, rc in
            MQTTSession.from(context).didDisconnect(rc: rc)
        }
        mosquitto_subscribe_callback_set(handle) { _, context, mid, _, _ in
            MQTTSession.from(context).didSubscribe(mid: mid)
        }
        mosquitto_publish_v5_callback_set(handle) { _, context, mid, reasonCode, _ in
            MQTTSession.from(context).didPublish(mid: mid, reasonCode: reasonCode)
        }
        mosquitto_message_callback_set(handle) { _, context, message in
            guard let message else { return }
            MQTTSession.from(context).didReceive(message.pointee)
        }
        // libmosquitto formats a line for every packet whenever a log callback is set: only at trace level.
        if logger.logLevel <= .trace {
            mosquitto_log_callback_set(handle) { _, context, level, text in
                guard let text else { return }
                MQTTSession.from(context).logger.trace("libmosquitto: \(String(cString: text))")
            }
        }
    }

    private static func from(_ context: UnsafeMutableRawPointer?) -> MQTTSession {
        Unmanaged<MQTTSession>.fromOpaque(context!).takeUnretainedValue()
    }

    var isConnected: Bool { state.withLock { $0.connected } }

    func setHeartbeat(_ beat: (@Sendable () -> Void)?) { heartbeat.withLock { $0.value = beat } }

    private func beat() { heartbeat.withLock { $0.value }?() }

    /// Connected and every subscription acknowledged.
    var isReady: Bool { state.withLock { $0.connected && $0.connectAnnounced } }

    func setMaxInflight(_ count: Int) {
        _ = mosquitto_max_inflight_messages_set(handle, UInt32(max(1, min(count, 65535))))
    }

    // MARK: - Lifecycle

    func start() {
        let alreadyStarted = state.withLock { s in
            defer { s.started = true }
            return s.started
        }
        guard !alreadyStarted else { return }
        let thread = SystemThread { [self] in
            self.runNetworkLoop()
            self.networkThreadDidExit()
        }
        thread.name = "ironbridge-mqtt"
        thread.start()
    }

    func stop(timeoutSeconds: Double) async {
        let (wasStarted, waiters) = state.withLock { s in
            s.stopping = true
            let w = s.waiters
            s.waiters = [:]
            return (s.started && !s.threadExited, w)
        }
        for waiter in waiters.values {
            waiter.resume(throwing: MQTTError(operation: "publishing", endpoint: configuration.endpoint, kind: .stopped))
        }
        _ = mosquitto_disconnect(handle)
        wakeNetworkThread()
        if wasStarted {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.waitForNetworkThread() }
                group.addTask { try? await Task.sleep(for: .seconds(timeoutSeconds)) }
                await group.next()
                group.cancelAll()
            }
        }
        events.finish()
    }

    /// Returns when the network thread has ended, or when the calling task is cancelled
    /// (stop's time limit), whichever comes first.
    private func waitForNetworkThread() async {
        await networkThreadEnded.wait(until: { $0 })
    }

    private func networkThreadDidExit() {
        state.withLock { s in
            s.threadExited = true
            s.connected = false
        }
        networkThreadEnded.withLock { $0 = true }
    }

    private func wakeNetworkThread() {
        wakeup.lock()
        wakeup.broadcast()
        wakeup.unlock()
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    /// Sleeps up to `seconds`, returning early when `stop()` is called.
    private func sleepUnlessStopped(_ seconds: Double) {
        let deadline = SystemClock.monotonicNanoseconds() &+ UInt64(min(max(0, seconds), 1e9) * 1e9)
        wakeup.lock()
        while !isStopping && SystemClock.monotonicNanoseconds() < deadline {
            beat()
            wakeup.wait(untilNanoseconds: min(deadline, SystemClock.monotonicNanoseconds() &+ 1_000_000_000))
        }
        wakeup.unlock()
    }

    // MARK: - Network thread

    /// Connects, loops, and reconnects until `stop()`. Runs only on the network thread.
    private func runNetworkLoop() {
        let c = configuration
        let connackTimeout = Double(max(10, min(c.keepAliveSeconds, 30)))
        var failedAttempts = 0
        while !isStopping {
            beat()
            state.withLock { $0.refusedCode = nil }
            var rc = mosquitto_connect_bind_async(handle, c.host, Int32(c.port), Int32(c.keepAliveSeconds), nil)
            var failure: String?
            var wasConnected = false
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                failure = describe(rc: rc, errno: errno)
            } else {
                let started = SystemClock.monotonicNanoseconds()
                while true {
                    beat()
                    rc = mosquitto_loop(handle, 100, 1)
                    let savedErrno = errno
                    let connected = isConnected
                    wasConnected = wasConnected || connected
                    if rc != MOSQ_ERR_SUCCESS.rawValue {
                        if !wasConnected { failure = describe(rc: rc, errno: savedErrno) }
                        break
                    }
                    if isStopping && !connected { break }
                    if !wasConnected && Double(SystemClock.monotonicNanoseconds() &- started) / 1e9 > connackTimeout {
                        failure = "no CONNACK within \(Int(connackTimeout)) s"
                        break
                    }
                }
            }
            if isStopping { break }
            let refused = state.withLock { $0.refusedCode }
            let delay: Double
            if let refused {
                delay = c.refusedRetryDelaySeconds
                events.yield(.refused(MQTTConnectRefusal(code: Int(refused), endpoint: c.endpoint, retryInSeconds: delay)))
            } else if wasConnected {
                failedAttempts = 0
                delay = c.reconnect.delay(attempt: 0)
            } else {
                delay = c.reconnect.delay(attempt: failedAttempts)
                failedAttempts += 1
                events.yield(.connectFailed(reason: "cannot connect to \(c.endpoint): \(failure ?? "unknown failure")", retryInSeconds: delay))
            }
            sleepUnlessStopped(delay)
        }
    }

    private func describe(rc: Int32, errno savedErrno: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue {
            return String(cString: strerror(savedErrno)) + " (errno \(savedErrno))"
        }
        return Self.text(of: rc, keepAliveSeconds: configuration.keepAliveSeconds)
    }

    /// libmosquitto's text for `rc`; for the codes its strerror calls "Unknown error." (as
    /// MOSQ_ERR_KEEPALIVE in 2.0), what happened in words.
    static func text(of rc: Int32, keepAliveSeconds: Int) -> String {
        if rc == MOSQ_ERR_KEEPALIVE.rawValue {
            return "the broker did not answer within the keep-alive time (keep_alive \(keepAliveSeconds) s)"
        }
        let text = String(cString: mosquitto_strerror(rc))
        return text.hasPrefix("Unknown error") ? "libmosquitto error \(rc)" : text
    }

    // MARK: - Callbacks (network thread)

    private func didConnect(rc: Int32, flags: Int32) {
        guard rc == 0 else {
            state.withLock { $0.refusedCode = rc }
            return
        }
        let subscriptions = state.withLock { s in
            s.connected = true
            s.connectAnnounced = false
            s.sessionPresent = flags & 1 == 1
            s.pendingSubscriptions = []
            return s.subscriptions
        }
        // Callbacks all run on this thread, so no SUBACK can be handled before its mid is recorded.
        for subscription in subscriptions {
            var mid: Int32 = 0
            let result = mosquitto_subscribe(handle, &mid, subscription.topic, subscription.qos)
            if result == MOSQ_ERR_SUCCESS.rawValue {
                state.withLock { _ = $0.pendingSubscriptions.insert(mid) }
            } else {
                logger.error("subscribing to \(subscription.topic) on \(configuration.endpoint) failed: \(String(cString: mosquitto_strerror(result)))")
            }
        }
        announceConnectedIfSubscribed()
    }

    private func didSubscribe(mid: Int32) {
        state.withLock { _ = $0.pendingSubscriptions.remove(mid) }
        announceConnectedIfSubscribed()
    }

    /// Emits `.connected` once every subscription of this session was acknowledged, so that a
    /// consumer never acts on a connection that cannot yet receive its answers.
    private func announceConnectedIfSubscribed() {
        let sessionPresent: Bool? = state.withLock { s in
            guard s.connected, !s.connectAnnounced, s.pendingSubscriptions.isEmpty else { return nil }
            s.connectAnnounced = true
            return s.sessionPresent
        }
        if let sessionPresent { events.yield(.connected(sessionPresent: sessionPresent)) }
    }

    private func didDisconnect(rc: Int32) {
        let wasConnected = state.withLock { s in
            defer { s.connected = false }
            return s.connected
        }
        guard wasConnected else { return }
        let reason = rc == 0 ? "closed by the client" : Self.text(of: rc, keepAliveSeconds: configuration.keepAliveSeconds)
        events.yield(.disconnected(reason: "connection to \(configuration.endpoint) lost: \(reason)"))
    }

    private func didPublish(mid: Int32, reasonCode: Int32) {
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { s in
            if s.unawaited.remove(mid) != nil { return nil }
            if let waiter = s.waiters.removeValue(forKey: mid) { return waiter }
            s.early[mid] = reasonCode
            return nil
        }
        guard let waiter else { return }
        complete(waiter, reasonCode: reasonCode)
    }

    private func complete(_ waiter: CheckedContinuation<Void, any Error>, reasonCode: Int32) {
        if reasonCode >= 0x80 {
            waiter.resume(throwing: MQTTError(operation: "publishing", endpoint: configuration.endpoint, kind: .rejected(reasonCode: Int(reasonCode))))
        } else {
            waiter.resume()
        }
    }

    private func didReceive(_ message: mosquitto_message) {
        let topic = String(cString: message.topic)
        let payload: [UInt8]
        if let bytes = message.payload, message.payloadlen > 0 {
            payload = Array(UnsafeRawBufferPointer(start: bytes, count: Int(message.payloadlen)))
        } else {
            payload = []
        }
        guard inboundBudget.reserve(payload.count) else {
            if let dropped = inboundBudget.droppedToReport() {
                logger.warning("dropped \(dropped) message(s) from \(configuration.endpoint): more than \(inboundBudget.limit) bytes were already waiting to be handled (a flood)")
            }
            return
        }
        events.yield(.message(MQTTMessage(topic: topic, payload: payload)))
    }

    // MARK: - Operations (any thread)

    func subscribe(_ topic: String, qos: Int32) {
        let connected = state.withLock { s in
            if !s.subscriptions.contains(where: { $0.topic == topic }) {
                s.subscriptions.append((topic, qos))
            }
            return s.connected
        }
        if connected {
            _ = mosquitto_subscribe(handle, nil, topic, qos)
        }
    }

    /// Hands a message to libmosquitto and returns its message id. For QoS 0 nothing more
    /// will be heard of it; for QoS 1 `acknowledgement(of:topic:)` waits for its PUBACK.
    func send(topic: String, payload: [UInt8], qos: Int32, retain: Bool) throws(MQTTError) -> Int32 {
        let endpoint = configuration.endpoint
        guard isConnected else {
            throw MQTTError(operation: "publishing to \(topic)", endpoint: endpoint, kind: .notConnected)
        }
        var assignedID: Int32 = 0
        let rc = payload.withUnsafeBytes { bytes in
            mosquitto_publish_v5(handle, &assignedID, topic, Int32(bytes.count), bytes.baseAddress, qos, retain, nil)
        }
        guard rc == MOSQ_ERR_SUCCESS.rawValue else {
            if rc == MOSQ_ERR_PAYLOAD_SIZE.rawValue || rc == MOSQ_ERR_OVERSIZE_PACKET.rawValue {
                throw MQTTError(operation: "publishing to \(topic)", endpoint: endpoint, kind: .payloadTooLarge(size: payload.count, limit: 268_435_455))
            }
            throw MQTTError(operation: "publishing to \(topic)", endpoint: endpoint, kind: .library(code: rc))
        }
        let mid = assignedID
        if qos == 0 {
            state.withLock { s in
                if s.early.removeValue(forKey: mid) == nil { s.unawaited.insert(mid) }
            }
        }
        return mid
    }

    /// Waits for the PUBACK of a QoS 1 message sent with `send`. Call it once per message.
    func acknowledgement(of mid: Int32, topic: String) async throws(MQTTError) {
        let endpoint = configuration.endpoint
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    enum Outcome { case registered, acknowledged(Int32), stopped, cancelled }
                    let outcome: Outcome = state.withLock { s in
                        if let reasonCode = s.early.removeValue(forKey: mid) { return .acknowledged(reasonCode) }
                        if s.stopping { return .stopped }
                        // The cancellation handler may already have run: then nobody would resume a stored waiter.
                        if Task.isCancelled {
                            s.unawaited.insert(mid)
                            return .cancelled
                        }
                        s.waiters[mid] = continuation
                        return .registered
                    }
                    switch outcome {
                    case .registered: break
                    case .acknowledged(let reasonCode): complete(continuation, reasonCode: reasonCode)
                    case .stopped:
                        continuation.resume(throwing: MQTTError(operation: "publishing to \(topic)", endpoint: endpoint, kind: .stopped))
                    case .cancelled: continuation.resume(throwing: CancellationError())
                    }
                }
            } onCancel: {
                let waiter = state.withLock { s in
                    let w = s.waiters.removeValue(forKey: mid)
                    if w != nil { s.unawaited.insert(mid) }
                    return w
                }
                waiter?.resume(throwing: CancellationError())
            }
        } catch let error as MQTTError {
            throw error
        } catch {
            throw MQTTError(operation: "publishing to \(topic)", endpoint: endpoint, kind: .stopped)
        }
    }
}
