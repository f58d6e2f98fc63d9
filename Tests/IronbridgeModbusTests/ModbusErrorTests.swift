import CModbus
import Testing
@testable import IronbridgeModbus
#if canImport(Glibc)
import Glibc
#endif

@Suite("Errors and endpoints")
struct ModbusErrorTests {
    @Test("an error reads like a sentence naming cause, operation, addresses, unit and endpoint")
    func description() {
        let error = ModbusError(
            operation: .request(.readHoldingRegisters), unitId: 3, address: 40001, count: 2,
            endpoint: "10.0.0.7:502", cause: .exception(.illegalDataAddress))
        #expect(error.description == "illegal data address reading holding registers 40001..40002 on unit 3 at 10.0.0.7:502")
        let single = ModbusError(
            operation: .request(.writeSingleCoil), unitId: 1, address: 5, count: 1, endpoint: "/dev/ttyUSB0", cause: .timeout)
        #expect(single.description == "timeout writing coil 5 on unit 1 at /dev/ttyUSB0")
        let connect = ModbusError(operation: .connect, endpoint: "127.0.0.1:5020", cause: .connectionRefused)
        #expect(connect.description == "connection refused connecting to 127.0.0.1:5020")
    }

    @Test("errno values decode into causes", arguments: [
        (ETIMEDOUT, ModbusError.Cause.timeout),
        (ECONNREFUSED, .connectionRefused),
        (ECONNRESET, .connectionReset),
        (EPIPE, .connectionReset),
        (ironbridge_EMBXILFUN, .exception(.illegalFunction)),
        (ironbridge_EMBXILADD, .exception(.illegalDataAddress)),
        (ironbridge_EMBXILVAL, .exception(.illegalDataValue)),
        (ironbridge_EMBXSFAIL, .exception(.slaveDeviceFailure)),
        (ironbridge_EMBXSBUSY, .exception(.slaveDeviceBusy)),
        (ironbridge_EMBXGTAR, .exception(.gatewayTargetFailedToRespond)),
        (ironbridge_EMBBADCRC, .badCRC),
        (ironbridge_EMBMDATA, .tooManyData),
    ])
    func errnoMapping(code: Int32, cause: ModbusError.Cause) {
        #expect(ModbusError.Cause(errno: code) == cause)
    }

    @Test("other errno values keep their number and strerror text")
    func systemErrno() {
        #expect(ModbusError.Cause(errno: ENOENT) == .system(errno: ENOENT, message: "No such file or directory"))
        #expect(ModbusError.Cause(errno: ENOENT).description == "No such file or directory (errno 2)")
        if case .invalidResponse(let text) = ModbusError.Cause(errno: ironbridge_EMBBADDATA) {
            #expect(text == "Invalid data")
        } else {
            Issue.record("EMBBADDATA should be an invalid response")
        }
    }

    @Test("endpoint descriptions are stable sharing keys")
    func endpoints() {
        #expect(ModbusEndpoint.tcp(host: "10.0.0.7", port: 502).description == "10.0.0.7:502")
        #expect(ModbusEndpoint.tcp(host: "::1", port: 502).description == "[::1]:502")
        #expect(ModbusEndpoint.rtu(.init(device: "/dev/ttyUSB0")).description == "/dev/ttyUSB0")
        #expect(ModbusEndpoint.rtu(.init(device: "/dev/ttyUSB0", baudRate: 9600, parity: .even)).description
            == ModbusEndpoint.ascii(.init(device: "/dev/ttyUSB0")).description)
    }

    @Test("a Modbus ASCII connection is created without I/O; a missing device fails at connect, named")
    func asciiConnection() throws {
        let connection = try ModbusConnection(endpoint: .ascii(.init(device: "/dev/ironbridge-no-such-tty")))
        let error = #expect(throws: ModbusError.self) { try connection.connect() }
        #expect(error?.description.contains("/dev/ironbridge-no-such-tty") == true)
        #expect(!connection.isConnected)
    }

    @Test("requests before connect, bad counts and bad settings fail without I/O")
    func precondition() throws {
        let connection = try ModbusConnection(endpoint: .tcp(host: "127.0.0.1", port: 1))
        #expect(throws: ModbusError(
            operation: .request(.readHoldingRegisters), address: 0, count: 1, endpoint: "127.0.0.1:1", cause: .notConnected)
        ) { try connection.readHoldingRegisters(address: 0, count: 1) }
        let tooMany = #expect(throws: ModbusError.self) { try connection.readInputRegisters(address: 0, count: 126) }
        #expect(tooMany?.cause == .invalidArgument("count must be 1...125"))
        #expect(throws: ModbusError.self) { try connection.setSlave(300) }
        #expect(throws: ModbusError.self) {
            _ = try ModbusConnection(endpoint: .rtu(.init(device: "/dev/null", dataBits: 9)))
        }
        try connection.setResponseTimeout(.milliseconds(1500))
        #expect(connection.responseTimeout == .milliseconds(1500))
    }
}
