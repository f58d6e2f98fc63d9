/// One key and its value, as sent in telemetry or attributes.
public struct DataPoint: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// Values of one device taken at one moment. Without a timestamp the server stamps the arrival time.
public struct TelemetryRecord: Sendable, Equatable {
    /// The device's configured name; the platform name is applied when the batch is encoded.
    public var device: String
    /// Unix time in milliseconds.
    public var timestamp: Int64?
    public var values: [DataPoint]

    public init(device: String, timestamp: Int64?, values: [DataPoint]) {
        self.device = device
        self.timestamp = timestamp
        self.values = values
    }
}

/// Something the gateway must deliver to the platform, in order, at least once.
public enum Upload: Sendable, Equatable {
    case connect(device: String, type: String)
    case disconnect(device: String)
    case telemetry(TelemetryRecord)
    case attributes(device: String, values: [DataPoint])
    /// A device-to-device message for the platform (a client-side RPC of the gateway, docs/messages.md).
    case message(DeviceMessage)

    /// The configured name of the device this concerns.
    public var device: String {
        switch self {
        case .connect(let device, _), .disconnect(let device), .attributes(let device, _): device
        case .telemetry(let record): record.device
        case .message(let message): message.sender
        }
    }

    /// Data points carried (0 for connect/disconnect), for rate limits and statistics.
    public var pointCount: Int {
        switch self {
        case .connect, .disconnect, .message: 0
        case .telemetry(let record): record.values.count
        case .attributes(_, let values): values.count
        }
    }
}
