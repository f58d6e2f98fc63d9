import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

/// A Modbus ASCII slave written independently of us: pymodbus's serial server with its ASCII
/// framer, on one end of a socat pty pair. Needs `python3` with pymodbus 3.9 and pyserial
/// (`pip install pymodbus==3.9.2 pyserial`); the suite is skipped without them.
final class PymodbusASCIISlave {
    static let available: Bool = {
        guard let probe = try? ChildProcess("/usr/bin/env", ["python3", "-c", "import pymodbus, serial"]) else { return false }
        return probe.waitForExit(timeout: 30) == 0
    }()

    static let script = """
    import sys
    from pymodbus.server import StartSerialServer
    from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
    from pymodbus.framer import FramerType
    port, unit = sys.argv[1], int(sys.argv[2])
    # pymodbus 3.9 maps protocol address a to block address a + 1.
    store = ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(1, [0x4142, 0x4344, 321, 0xEFBE, 0xADDE, 0x7856, 0x3412] + [0] * 93),
        co=ModbusSequentialDataBlock(1, [True, False, True] + [False] * 97),
        di=ModbusSequentialDataBlock(1, [False] * 100), ir=ModbusSequentialDataBlock(1, [7] * 100))
    StartSerialServer(context=ModbusServerContext(slaves={unit: store}, single=False),
                      framer=FramerType.ASCII, port=port, baudrate=19200)
    """

    private let process: ChildProcess
    private let file: URL

    init(port: String, unit: Int) throws {
        file = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-ascii-slave-\(UUID().uuidString).py")
        try Self.script.write(to: file, atomically: true, encoding: .utf8)
        process = try ChildProcess("/usr/bin/env", ["python3", file.path, port, String(unit)])
    }

    func stop() {
        process.signal(SIGTERM)
        if process.waitForExit(timeout: 5) == nil { process.signal(SIGKILL) }
        try? FileManager.default.removeItem(at: file)
    }
}

@Suite("Modbus ASCII framing over a socat pty pair, against pymodbus",
       .enabled(if: PtyPair.socat != nil && PymodbusASCIISlave.available, "socat or python3 with pymodbus is missing"))
struct ASCIITests {
    @Test("our ASCII master reads and writes pymodbus's ASCII slave; the connector polls it and writes by RPC")
    func asciiAgainstPymodbus() async throws {
        let line = try PtyPair()
        defer { line.stop() }
        let slave = try PymodbusASCIISlave(port: line.first, unit: 4)
        defer { slave.stop() }

        let connection = try ModbusConnection(endpoint: .ascii(.init(device: line.second)))
        try connection.connect()
        try connection.setSlave(4)
        try connection.setResponseTimeout(.seconds(1))
        var registers: [UInt16] = []
        // pymodbus takes a moment to open its end of the line: bounded retries.
        for _ in 0..<50 where registers.isEmpty {
            if let read = try? connection.readHoldingRegisters(address: 0, count: 3) { registers = read } else { usleep(100_000) }
        }
        #expect(registers == [0x4142, 0x4344, 321])
        #expect(try connection.readCoils(address: 0, count: 3) == [true, false, true])
        try connection.writeRegister(address: 10, value: 0xBEEF)
        try connection.writeRegisters(address: 11, values: [1, 2, 3])
        try connection.writeCoil(address: 5, value: true)
        try connection.writeCoils(address: 6, values: [true, false, true, true])
        #expect(try connection.readHoldingRegisters(address: 10, count: 4) == [0xBEEF, 1, 2, 3])
        #expect(try connection.readCoils(address: 5, count: 5) == [true, true, false, true, true])
        // pymodbus 3.9 answers an address beyond its map with an empty read: refused as invalid.
        let beyond = #expect(throws: ModbusError.self) { try connection.readHoldingRegisters(address: 500, count: 1) }
        #expect(beyond?.cause == .invalidResponse("2 bytes for 1 registers"), "\(String(describing: beyond))")
        // For a unit it does not serve it answers exception 0x0B (function 0x80).
        try connection.setSlave(9)
        let absent = #expect(throws: ModbusError.self) { try connection.readHoldingRegisters(address: 0, count: 1) }
        #expect(absent?.cause == .exception(.gatewayTargetFailedToRespond), "\(String(describing: absent))")
        // The line still works for unit 4 afterwards.
        try connection.setSlave(4)
        #expect(try connection.readHoldingRegisters(address: 2, count: 1) == [321])
        connection.close()

        let rig = try ConnectorRig("""
        {"master": {"slaves": [{"deviceName": "Ascii", "type": "serial", "method": "ascii", "port": "\(line.second)", "baudrate": 19200,
          "unitId": 4, "pollPeriod": 100, "timeout": 1, "byteOrder": "BIG", "wordOrder": "BIG",
          "timeseries": [{"tag": "text", "type": "string", "functionCode": 3, "objectsCount": 2, "address": 0},
                         {"tag": "big", "type": "64uint", "functionCode": 3, "objectsCount": 4, "address": 3},
                         {"tag": "coil", "type": "bits", "functionCode": 1, "address": 0}],
          "rpc": [{"tag": "setValue", "type": "16uint", "functionCode": 6, "address": 20}]}]}}
        """)
        #expect(await eventually(within: 10) { await rig.latest("big", of: "Ascii") == .uint(17_275_436_391_653_061_650) })
        #expect(await rig.latest("text", of: "Ascii") == "ABCD")
        #expect(await rig.latest("coil", of: "Ascii") == true)
        #expect(resultValue(await rig.rpc("Ascii", "setValue", 4242)) == 4242)
        #expect(resultValue(await rig.rpc("Ascii", "get", "type=16uint;functionCode=3;objectsCount=1;address=20;")) == 4242)
        await rig.stop()
    }
}
