import IronbridgeCore
import IronbridgeModbus

/// What a configured key is for.
enum ModbusKeyRole: String, Sendable {
    case attribute = "attributes"
    case timeseries
    case attributeUpdate = "attributeUpdates"
    case rpc
}

/// One configured key (`tag`) of a device: where it lives and how its value is coded.
struct ModbusKeyConfig: Sendable {
    var tag: String
    var role: ModbusKeyRole
    var functionCode: ModbusFunctionCode
    var address: Int
    var codec: ModbusValueCodec
    /// Raw value (as JSON text, e.g. `1`, `true`) to label.
    var variants: [String: JSONValue]
    /// The key's own strategy, or the device's (already resolved).
    var reportStrategy: ModbusReportStrategy
    /// Device-to-device messages sent when this polled key's value meets a condition (docs/messages.md).
    var messages: [MessageRule] = []

    /// Objects this key reads or writes: bits for bit functions, registers otherwise.
    var objectCount: Int {
        functionCode.accessesBits ? codec.bitCount : codec.registerCount
    }

    var readFunction: ModbusReadFunction? { ModbusReadFunction(rawValue: functionCode.rawValue) }
}

/// Reconnect and retry settings of one slave, with the Python gateway's defaults.
struct ModbusRetryPolicy: Sendable, Hashable {
    /// Extra attempts of a request that timed out or got a garbled reply.
    var retries = 3
    var connectAttemptTimeMs = 500
    var connectAttemptCount = 5
    var waitAfterFailedAttemptsMs = 300_000
}

/// One configured slave (sub-device).
struct ModbusDeviceConfig: Sendable {
    var name: String
    var type: String
    var endpoint: ModbusEndpoint
    var unitId: Int
    var pollPeriodMs: Int
    var timeoutMs: Int
    /// The device's default orders (keys may override them); `get`/`set` use these.
    var byteOrder: ModbusByteOrder
    var wordOrder: ModbusWordOrder
    var delayBetweenRequestsMs: Int
    var policy: ModbusRetryPolicy
    var planner: ModbusReadPlanner
    var reportStrategy: ModbusReportStrategy
    var attributes: [ModbusKeyConfig]
    var timeseries: [ModbusKeyConfig]
    var attributeUpdates: [ModbusKeyConfig]
    var rpc: [ModbusKeyConfig]
    /// Where the reserved `set` RPC may write: `allowedWrites` plus every configured write key.
    var writePolicy: ModbusWritePolicy = .configuredOnly

    /// The keys that are polled: attributes then timeseries.
    var polledKeys: [ModbusKeyConfig] { attributes + timeseries }

    /// The read plan of the polled keys (validated at load, so it cannot fail here).
    func readPlan() throws(ModbusPlanError) -> ModbusReadPlan {
        try planner.plan(polledKeys.map { key in
            ModbusReadItem(key: key.tag, function: key.readFunction!, address: key.address, count: key.objectCount)
        })
    }
}
