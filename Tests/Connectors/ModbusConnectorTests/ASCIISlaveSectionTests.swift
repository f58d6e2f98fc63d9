import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

/// The `slave` section over serial ASCII (our framing), read and written by pymodbus's ASCII
/// client (an independent master) on the other end of a socat pty pair.
@Suite("Modbus: the gateway as a Modbus ASCII slave, against pymodbus",
       .enabled(if: PtyPair.socat != nil && PymodbusASCIISlave.available, "socat or python3 with pymodbus is missing"))
struct ASCIISlaveSectionTests {
    /// Runs `r:address:count` (FC3), `c:address:count` (FC1), `w:address:value` (FC6) on `unit`;
    /// prints the results as one JSON array ("error" for an exception or no reply).
    static let clientScript = """
    import sys, json
    from pymodbus.client import ModbusSerialClient
    from pymodbus.framer import FramerType
    port, unit = sys.argv[1], int(sys.argv[2])
    client = ModbusSerialClient(port=port, framer=FramerType.ASCII, baudrate=19200, timeout=1, retries=1)
    client.connect()
    out = []
    for op in sys.argv[3:]:
        kind, a, b = op.split(":")
        try:
            if kind == "r":
                reply = client.read_holding_registers(int(a), count=int(b), slave=unit)
                out.append("error" if reply.isError() else reply.registers)
            elif kind == "c":
                reply = client.read_coils(int(a), count=int(b), slave=unit)
                out.append("error" if reply.isError() else [bool(x) for x in reply.bits[:int(b)]])
            else:
                reply = client.write_register(int(a), int(b), slave=unit)
                out.append("error" if reply.isError() else "ok")
        except Exception:
            out.append("error")
    client.close()
    print(json.dumps(out))
    """

    static func client(port: String, unit: Int, _ operations: [String]) throws -> JSONValue? {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-ascii-client-\(UUID().uuidString).py")
        try clientScript.write(to: script, atomically: true, encoding: .utf8)
        let output = script.path + ".out"
        defer { try? FileManager.default.removeItem(at: script); try? FileManager.default.removeItem(atPath: output) }
        let process = try ChildProcess("/usr/bin/env", ["python3", script.path, port, String(unit)] + operations, outputFile: output)
        guard process.waitForExit(timeout: 30) != nil else {
            process.signal(SIGKILL)
            return nil
        }
        guard let text = try? String(contentsOfFile: output, encoding: .utf8),
              let line = text.split(separator: "\n").last(where: { $0.hasPrefix("[") }) else { return nil }
        return try? JSONValue.parse(Array(line.utf8))
    }

    @Test("a pymodbus ASCII master reads the configured values and writes; other units get no answer")
    func asciiSlave() async throws {
        let line = try PtyPair()
        defer { line.stop() }
        let rig = try ConnectorRig("""
        {"master": {"slaves": []},
         "slave": {"type": "serial", "method": "ascii", "port": "\(line.first)", "baudrate": 19200, "unitId": 3,
          "deviceName": "Gateway Slave", "byteOrder": "BIG", "wordOrder": "BIG",
          "values": {
            "holding_registers": {"timeseries": [{"address": 2, "type": "16int", "tag": "level", "objectsCount": 1, "value": 12334},
                                                 {"address": 3, "type": "32uint", "tag": "total", "objectsCount": 2, "value": 70000}]},
            "coils_initializer": {"attributes": [{"address": 5, "type": "bits", "tag": "coil", "objectsCount": 1, "value": 1}]}}}}
        """)
        var first: JSONValue?
        // The connector opens its end of the line as it starts: bounded retries.
        for _ in 0..<20 where first?.arrayValue?.first == nil || first?.arrayValue?.first == "error" {
            first = try Self.client(port: line.second, unit: 3, ["r:2:3", "c:5:1", "w:2:777", "r:2:1"])
        }
        #expect(first == [[12334, 0x0001, 0x1170], [true], "ok", [777]], "\(String(describing: first)) \(rig.logs.messages.suffix(5))")
        // A unit the slave does not serve gets no reply (the master times out).
        #expect(try Self.client(port: line.second, unit: 9, ["r:2:1"]) == ["error"])
        // The value written stays in the slave's registers.
        #expect(try Self.client(port: line.second, unit: 3, ["r:2:1"]) == [[777]])
        await rig.stop()
    }
}
