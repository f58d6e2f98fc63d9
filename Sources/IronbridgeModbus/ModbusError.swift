import CModbus
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed Modbus operation: what was attempted, against which unit, registers and
/// endpoint, and why.
///
/// `description` reads like
/// `illegal data address reading holding registers 40001..40002 on unit 3 at 10.0.0.7:502`.
/// Addresses are shown exactly as given to the call (0-based protocol addresses); no
/// 4xxxx-style offsets are added.
public struct ModbusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was attempted.
    public enum Operation: Sendable, Hashable, CustomStringConvertible {
        case createContext
        case connect
        /// Server side: binding, listening on or opening the server's endpoint.
        case listen
        case configure(String)
        case request(ModbusFunctionCode)

        /// "read holding registers", "connect", ...
        public var description: String {
            switch self {
            case .createContext: "create context"
            case .connect: "connect"
            case .listen: "listen"
            case .configure(let what): "set \(what)"
            case .request(let code): code.description
            }
        }

        /// "reading holding registers", "connecting", ...
        var gerund: String {
            switch self {
            case .createContext: "creating context"
            case .connect: "connecting"
            case .listen: "listening"
            case .configure(let what): "setting \(what)"
            case .request(let code):
                switch code {
                case .readCoils: "reading coils"
                case .readDiscreteInputs: "reading discrete inputs"
                case .readHoldingRegisters: "reading holding registers"
                case .readInputRegisters: "reading input registers"
                case .writeSingleCoil: "writing coil"
                case .writeSingleRegister: "writing register"
                case .writeMultipleCoils: "writing coils"
                case .writeMultipleRegisters: "writing registers"
                }
            }
        }
    }

    /// Why it failed.
    public enum Cause: Sendable, Hashable, CustomStringConvertible {
        /// The slave answered with a Modbus exception (libmodbus `EMBX*`).
        case exception(ModbusExceptionCode)
        /// No (complete) reply within the response timeout (`ETIMEDOUT`).
        case timeout
        /// The peer refused the connection (`ECONNREFUSED`).
        case connectionRefused
        /// The peer closed or reset the connection (`ECONNRESET`, `EPIPE`).
        case connectionReset
        /// A request was made while not connected; call `connect()` first.
        case notConnected
        /// An RTU frame with a wrong CRC (libmodbus `EMBBADCRC`).
        case badCRC
        /// A reply that does not match the request (libmodbus `EMBBADDATA`,
        /// `EMBBADEXC`, `EMBUNKEXC`, `EMBBADSLAVE`), with libmodbus's text.
        case invalidResponse(String)
        /// Too many objects for one request (libmodbus `EMBMDATA`).
        case tooManyData
        /// A feature libmodbus does not offer (e.g. Modbus ASCII).
        case unsupported(String)
        /// An argument rejected before any I/O.
        case invalidArgument(String)
        /// A TLS failure: a certificate file, the handshake or the encrypted stream, with
        /// OpenSSL's reason.
        case tls(String)
        /// Any other `errno`, with its `strerror` text.
        case system(errno: Int32, message: String)

        /// Decodes an `errno` value captured right after a failed libmodbus call.
        init(errno code: Int32) {
            let exceptionBase = ironbridge_modbus_enobase
            switch code {
            case ETIMEDOUT: self = .timeout
            case ECONNREFUSED: self = .connectionRefused
            case ECONNRESET, EPIPE: self = .connectionReset
            case ironbridge_EMBBADCRC: self = .badCRC
            case ironbridge_EMBMDATA: self = .tooManyData
            // EMBUNKEXC (EMBXGTAR + 4) is not exported by the shim; it lies between
            // EMBBADEXC and EMBMDATA in modbus.h.
            case ironbridge_EMBBADDATA, ironbridge_EMBBADEXC, ironbridge_EMBXGTAR + 4,
                ironbridge_EMBBADSLAVE:
                self = .invalidResponse(Self.message(for: code))
            case (exceptionBase + 1)...(exceptionBase + 0x0B):
                if let exception = ModbusExceptionCode(rawValue: UInt8(code - exceptionBase)) {
                    self = .exception(exception)
                } else {
                    self = .invalidResponse(Self.message(for: code))
                }
            default:
                self = .system(errno: code, message: Self.message(for: code))
            }
        }

        /// `modbus_strerror`, which falls back to `strerror` for system codes.
        private static func message(for code: Int32) -> String {
            String(cString: modbus_strerror(code))
        }

        public var description: String {
            switch self {
            case .exception(let code): code.description
            case .timeout: "timeout"
            case .connectionRefused: "connection refused"
            case .connectionReset: "connection reset"
            case .notConnected: "not connected"
            case .badCRC: "bad CRC"
            case .invalidResponse(let text): "invalid response (\(text))"
            case .tooManyData: "too many data"
            case .unsupported(let text): text
            case .tls(let text): "TLS: \(text);"
            case .invalidArgument(let text): "invalid argument (\(text))"
            case .system(let code, let text): "\(text) (errno \(code))"
            }
        }

        /// True when the link itself is gone (refused, reset, not connected): the
        /// caller should `close()`, reconnect and report the device as disconnected.
        public var isConnectionLoss: Bool {
            switch self {
            case .connectionRefused, .connectionReset, .notConnected, .tls: true
            case .system(let code, _):
                [EHOSTUNREACH, ENETUNREACH, ENOTCONN, EBADF, EIO, ENOENT, ENXIO].contains(code)
            default: false
            }
        }
    }

    public var operation: Operation
    /// The unit id (slave address) in effect, if one was set.
    public var unitId: Int?
    /// First address of the request, exactly as given.
    public var address: Int?
    /// Number of bits or registers of the request.
    public var count: Int?
    /// The endpoint's description, e.g. `127.0.0.1:5020` or `/dev/ttyUSB0`.
    public var endpoint: String
    public var cause: Cause

    public init(
        operation: Operation, unitId: Int? = nil, address: Int? = nil, count: Int? = nil,
        endpoint: String, cause: Cause
    ) {
        self.operation = operation
        self.unitId = unitId
        self.address = address
        self.count = count
        self.endpoint = endpoint
        self.cause = cause
    }

    public var description: String {
        var text = "\(cause) \(operation.gerund)"
        if let address {
            let count = count ?? 1
            text += count > 1 ? " \(address)..\(address + count - 1)" : " \(address)"
        }
        if let unitId { text += " on unit \(unitId)" }
        text += (operation == .connect ? " to " : " at ") + endpoint
        return text
    }
}
