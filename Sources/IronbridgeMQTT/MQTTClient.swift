import CMosquitto
import Logging

/// An MQTT client over libmosquitto that owns its connection for its whole life.
///
/// `start()` spawns one dedicated network thread (never a thread of Swift's cooperative
/// pool) that connects, runs `mosquitto_loop`, and reconnects with back-off and jitter.
/// What happens there reaches Swift through ``events``, an `AsyncStream` meant for ONE
/// consumer. Subscriptions are remembered and sent again after every reconnect.
/// `publish` may be called from any task: libmosquitto queues the packet under its own
/// mutexes (`mosquitto_threaded_set`) and the network thread writes it.
public final class MQTTClient: Sendable {
    public let configuration: MQTTConfiguration
    /// Connection events and received messages, in the order libmosquitto saw them. At most
    /// `maxBufferedInboundBytes` of messages wait here; beyond that messages are dropped and logged.
    public let events: MQTTEvents
    private let session: MQTTSession

    /// Creates the libmosquitto handle (`mosquitto_new`) and applies credentials and TLS.
    /// Throws if libmosquitto rejects a setting (e.g. an unreadable certificate).
    public init(configuration: MQTTConfiguration, logger: Logger) throws(MQTTError) {
        self.configuration = configuration
        let (stream, continuation) = AsyncStream.makeStream(of: MQTTEvent.self, bufferingPolicy: .unbounded)
        let budget = InboundBudget(limit: configuration.maxBufferedInboundBytes)
        self.events = MQTTEvents(stream: stream, budget: budget)
        self.session = try MQTTSession(configuration: configuration, events: continuation, inboundBudget: budget, logger: logger)
    }

    /// Sets what the network thread calls at least once a second while it is not stuck in a
    /// call (the gateway's watchdog); nil for nothing. It must be quick and must not block.
    public func setHeartbeat(_ beat: (@Sendable () -> Void)?) { session.setHeartbeat(beat) }

    /// Bytes of received messages not yet taken from ``events``.
    var bufferedInboundBytes: Int { events.budget.current }

    /// Starts the network thread. Calling it twice has no effect.
    public func start() { session.start() }

    /// Sends DISCONNECT if connected, stops the network thread and waits for it (at most
    /// `timeoutSeconds`). QoS 1 publishes still awaiting their PUBACK fail with `.stopped`.
    public func stop(timeoutSeconds: Double = 5) async { await session.stop(timeoutSeconds: timeoutSeconds) }

    /// True between an accepted CONNACK and the next disconnect.
    public var isConnected: Bool { session.isConnected }

    /// Connected, and the broker acknowledged every subscription of this session
    /// (the moment the `.connected` event is emitted).
    public var isReady: Bool { session.isReady }

    /// Subscribes now if connected, and after every future (re)connect.
    public func subscribe(_ topic: String, qos: Int = 1) { session.subscribe(topic, qos: Int32(qos)) }

    /// Publishes a message (`mosquitto_publish_v5`). With QoS 0 it returns once libmosquitto
    /// has queued the packet; with QoS 1 it returns when the broker's PUBACK arrives, which
    /// may be after a reconnect (libmosquitto resends unacknowledged messages). Throws
    /// `.notConnected` without queueing anything when there is no connection.
    public func publish(topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = false) async throws(MQTTError) {
        let ticket = try send(topic: topic, payload: payload, qos: qos, retain: retain)
        try await ticket.acknowledged()
    }

    /// Hands a message to libmosquitto without waiting, so that several can be in flight in
    /// order; await the returned ticket's `acknowledged()` for the PUBACK (QoS 1).
    public func send(topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = false) throws(MQTTError) -> PublishTicket {
        let mid = try session.send(topic: topic, payload: payload, qos: Int32(qos), retain: retain)
        return PublishTicket(session: session, messageID: mid, topic: topic, qos: qos)
    }

    /// Caps the QoS 1 messages in flight (`mosquitto_max_inflight_messages_set`); extra ones wait inside libmosquitto.
    public func setMaxInflightMessages(_ count: Int) { session.setMaxInflight(count) }
}

/// A message handed to libmosquitto by ``MQTTClient/send(topic:payload:qos:retain:)``.
public struct PublishTicket: Sendable {
    fileprivate let session: MQTTSession
    public let messageID: Int32
    public let topic: String
    public let qos: Int

    /// Returns when the broker acknowledged the message (QoS 1), at once for QoS 0.
    /// Throws `.rejected` for an MQTT 5 failure reason code, `.stopped` when the client stops first.
    public func acknowledged() async throws(MQTTError) {
        guard qos > 0 else { return }
        try await session.acknowledgement(of: messageID, topic: topic)
    }
}
