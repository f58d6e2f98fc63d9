import Testing
@testable import IronbridgeModbus

@Suite("Modbus ASCII frames")
struct ModbusASCIIFrameTests {
    @Test("the specification's example: read 1 holding register at 0x006B from unit 0x11")
    func encode() {
        // Unit 0x11, FC3, address 0x006B, count 3: LRC 0x7E.
        let frame = ModbusASCIIFrame.encode(unit: 0x11, pdu: [0x03, 0x00, 0x6B, 0x00, 0x03])
        #expect(String(decoding: frame, as: UTF8.self) == ":1103006B00037E\r\n")
        #expect(ModbusASCIIFrame.lrc([0x11, 0x03, 0x00, 0x6B, 0x00, 0x03]) == 0x7E)
    }

    @Test("decoding checks the colon, the hex digits and the LRC")
    func decode() throws {
        let decoded = try ModbusASCIIFrame.decode(Array(":1103006B00037E".utf8))
        #expect(decoded.unit == 0x11 && decoded.pdu == [0x03, 0x00, 0x6B, 0x00, 0x03])
        #expect(try ModbusASCIIFrame.decode(Array(":1103006b00037e".utf8)).unit == 0x11)
        #expect(throws: ModbusASCIIFrame.DecodeError.badLRC) { try ModbusASCIIFrame.decode(Array(":1103006B00037F".utf8)) }
        #expect(throws: ModbusASCIIFrame.DecodeError.malformed) { try ModbusASCIIFrame.decode(Array("1103006B00037E".utf8)) }
        #expect(throws: ModbusASCIIFrame.DecodeError.malformed) { try ModbusASCIIFrame.decode(Array(":11030G6B00037E".utf8)) }
        #expect(throws: ModbusASCIIFrame.DecodeError.malformed) { try ModbusASCIIFrame.decode(Array(":11037".utf8)) }
    }
}
