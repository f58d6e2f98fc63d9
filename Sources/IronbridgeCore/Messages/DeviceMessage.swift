/// A message from one sub-device to another device (docs/messages.md): a client-side RPC the
/// gateway sends for the sender, or delivers itself when the target is one of its own devices.
/// Stored in the upload store like telemetry while it waits for the platform.
public struct DeviceMessage: Sendable, Equatable {
    /// Unique per gateway run and store (for matching the platform's answer to the message).
    public var uid: Int64
    /// The sender's configured name.
    public var sender: String
    /// The key whose value triggered the message.
    public var key: String
    /// The target device's name as configured in the rule.
    public var target: String
    public var method: String
    /// The rule's `params` with the placeholders filled in.
    public var params: JSONValue
    /// When the trigger happened (Unix ms).
    public var createdMs: Int64
    /// After this (Unix ms) the message is dropped instead of sent.
    public var expiresMs: Int64
    /// How long the platform's answer is waited for once the message was sent.
    public var timeoutMs: Int64

    public init(uid: Int64, sender: String, key: String, target: String, method: String, params: JSONValue,
                createdMs: Int64, expiresMs: Int64, timeoutMs: Int64) {
        self.uid = uid
        self.sender = sender
        self.key = key
        self.target = target
        self.method = method
        self.params = params
        self.createdMs = createdMs
        self.expiresMs = expiresMs
        self.timeoutMs = timeoutMs
    }

    /// The client-side RPC the platform receives on `v1/devices/me/rpc/request/{id}`: the sub-device
    /// cannot send one itself (the Gateway MQTT API has none), so the gateway sends it and names
    /// the sender and the target in `params`.
    public func request(senderPlatformName: String) -> JSONValue {
        [
            "method": .string(method),
            "params": [
                "fromDevice": .string(senderPlatformName), "device": .string(target), "key": .string(key),
                "ts": .int(createdMs), "expirationTime": .int(expiresMs), "body": params,
            ],
        ]
    }
}
