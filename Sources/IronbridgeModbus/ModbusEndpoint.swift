/// Serial line parity, spelled as in the gateway configuration (`N`, `E`, `O`).
public enum ModbusParity: String, Sendable, Hashable, CaseIterable {
    case none = "N"
    case even = "E"
    case odd = "O"

    /// The character libmodbus's `modbus_new_rtu` expects.
    var cCharacter: CChar { CChar(UInt8(ascii: rawValue.unicodeScalars.first!)) }
}

/// Settings of a serial Modbus line (RTU or ASCII framing).
public struct ModbusSerialSettings: Sendable, Hashable {
    /// Path of the serial device, e.g. `/dev/ttyUSB0`.
    public var device: String
    /// Baud rate; the gateway configuration's default is 19200.
    public var baudRate: Int
    public var parity: ModbusParity
    /// Data bits per character: 5 to 8.
    public var dataBits: Int
    /// Stop bits: 1 or 2.
    public var stopBits: Int

    public init(
        device: String, baudRate: Int = 19200, parity: ModbusParity = .none,
        dataBits: Int = 8, stopBits: Int = 1
    ) {
        self.device = device
        self.baudRate = baudRate
        self.parity = parity
        self.dataBits = dataBits
        self.stopBits = stopBits
    }
}

/// Where a Modbus peer lives.
///
/// `description` is stable and identifies the shared medium: `host:port` for TCP
/// (`[v6addr]:port` for IPv6 literals) and the device path for a serial line.
/// Several slaves on one host:port or one serial line share one connection, so use
/// `description` as the key for connection sharing.
public enum ModbusEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Modbus TCP. `host` is a name or an IPv4/IPv6 address.
    case tcp(host: String, port: Int)
    /// Modbus RTU over a serial line.
    case rtu(ModbusSerialSettings)
    /// Modbus ASCII over a serial line. libmodbus 3.1.6 has no ASCII framing;
    /// ``ModbusConnection`` frames it itself (``ModbusASCIIFrame``, ``ModbusASCIILine``).
    case ascii(ModbusSerialSettings)
    /// Modbus TCP over TLS (MBAP frames in a TLS stream). libmodbus has no TLS;
    /// ``ModbusConnection`` frames it itself (``ModbusTLSLine``) over OpenSSL.
    case tls(host: String, port: Int, ModbusTLSSettings)

    public var description: String {
        switch self {
        case .tcp(let host, let port), .tls(let host, let port, _):
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .rtu(let settings), .ascii(let settings):
            return settings.device
        }
    }
}
