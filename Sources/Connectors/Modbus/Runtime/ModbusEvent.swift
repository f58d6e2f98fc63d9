import IronbridgeCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a line thread tells the connector's task: data read, and device reachability.
enum ModbusEvent: Sendable {
    /// One poll of one device: values that passed the report filters, stamped at read time.
    case data(device: String, timestampMs: Int64, telemetry: [DataPoint], attributes: [DataPoint])
    case connected(device: String)
    case disconnected(device: String)
    /// A failed request (counted in the gateway's statistics).
    case failure(device: String)
}
