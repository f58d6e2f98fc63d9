import Testing
@testable import IronbridgeModbus

/// Register contents decoded as the Python gateway 3.8.5 (pymodbus 3.9.2) decodes them.
/// Every expected value here was produced by running the Python gateway's own uplink
/// decoder on the same registers and configuration.
@Suite("Value codec: decoded as the Python gateway decodes")
struct PeerDecodingTests {
    private func codec(
        _ type: ModbusDataType, _ objectsCount: Int, byteOrder: ModbusByteOrder = .big, wordOrder: ModbusWordOrder = .big,
        bit: Int? = nil, bitTargetType: ModbusBitTargetType = .bool, divider: Double? = nil, multiplier: Double? = nil,
        integerMultiplier: Bool = false, round: Int = 6
    ) throws -> ModbusValueCodec {
        try ModbusValueCodec(type: type, objectsCount: objectsCount, byteOrder: byteOrder, wordOrder: wordOrder, bit: bit,
                             bitTargetType: bitTargetType, divider: divider, multiplier: multiplier,
                             multiplierIsInteger: integerMultiplier, roundDigits: round)
    }

    @Test("string ignores byteOrder")
    func stringIgnoresByteOrder() throws {
        for order in ModbusByteOrder.allCases {
            #expect(try codec(.string, 2, byteOrder: order, wordOrder: .little).decode(registers: [18505, 25964]) == .string("HIel"))
        }
        // Text that is not UTF-8 is reported as hex, as the peer does.
        #expect(try codec(.string, 1).decode(registers: [0xFF41]) == .string("ff41"))
    }

    @Test("bytes ignore byteOrder")
    func bytesIgnoreByteOrder() throws {
        #expect(try codec(.bytes, 2, byteOrder: .little).decode(registers: [18505, 25964]) == .bytes([0x48, 0x49, 0x65, 0x6C]))
        #expect(ModbusValueCodec.hex([0x48, 0x49, 0x65, 0x6C]) == "4849656c")
    }

    @Test("bits on registers: objectsCount counts bits, high byte's bits first, byteOrder ignored")
    func bitsOnRegisters() throws {
        let all: [Bool] = [false, true, false, false, true, false, false, false, false, false, true, false, true, true, false, false]
        for order in ModbusByteOrder.allCases {
            #expect(try codec(.bits, 16, byteOrder: order).decode(registers: [4660]) == .bits(all))
        }
        #expect(try codec(.bits, 16).registerCount == 1)
        #expect(try codec(.bits, 17).registerCount == 2)
        #expect(try codec(.bits, 1).decode(registers: [4660]) == .bool(false))
        #expect(try codec(.bits, 1).decode(registers: [256]) == .bool(true))
        #expect(try codec(.bits, 1, bitTargetType: .int).decode(registers: [4660]) == .int(0))
        #expect(try codec(.bits, 4).decode(registers: [4660]) == .bits([false, true, false, false]))
        #expect(try codec(.bits, 16, bitTargetType: .int).decode(registers: [4660]) == .bits(all))
        // `bit` picks from the first objectsCount bits, the last one when past them, as an integer.
        #expect(try codec(.bits, 16, bit: 2).decode(registers: [4660]) == .int(0))
        #expect(try codec(.bits, 16, bit: 1).decode(registers: [4660]) == .int(1))
        #expect(try codec(.bits, 1, bit: 4).decode(registers: [4660]) == .int(0))
        // Writing packs bits the same way back.
        #expect(try codec(.bits, 16).encodeRegisters(.bits(all)) == [4660])
    }

    @Test("floats are rounded to 6 places unless the key's round says otherwise")
    func floatRounding() throws {
        #expect(try codec(.float32, 2).decode(registers: [15753, 14392]) == .double(0.067002))
        #expect(try codec(.float32, 2, wordOrder: .little).decode(registers: [38001, 15753]) == .double(0.067178))
        #expect(try codec(.float32, 2, round: 2).decode(registers: [15753, 14392]) == .double(0.07))
        #expect(try codec(.float32, 2).decode(registers: [0x3D89, 0x4000]) == .double(0.067017))
        let tiny = try codec(.float32, 2).decode(registers: [41754, 8192])
        #expect(tiny == .double(0) && tiny.description == "-0.0")
        #expect(try codec(.float16, 1).decode(registers: [13107]) == .double(0.224976))
        #expect(try codec(.float64, 4).decode(registers: [16457, 4059, 21572, 11544]) == .double(50.123881))
    }

    @Test("rounding is Python's round(x, n): the exact binary value, ties to even")
    func pythonRound() {
        let cases: [(Double, Int, Double)] = [
            (2.675, 2, 2.67), (0.5, 0, 0), (1.5, 0, 2), (2.5, 0, 2), (1e-7, 6, 0), (0.0000005, 6, 0),
            (0.0000015, 6, 0.000002), (123456.7890125, 6, 123456.789012), (1e20, 6, 1e20), (0.0670166015625, 6, 0.067017),
        ]
        for (number, digits, expected) in cases {
            #expect(ModbusValueCodec.round(number, digits: digits) == expected, "round(\(number), \(digits))")
        }
    }

    @Test("divider and multiplier as the peer: a divider wins, integer times integer stays an integer")
    func scaling() throws {
        #expect(try codec(.int16, 1, divider: 3).decode(registers: [100]) == .double(33.333333333333336))
        #expect(try codec(.int16, 1, multiplier: 0.1).decode(registers: [100]) == .double(10))
        #expect(try codec(.int16, 1, multiplier: 10, integerMultiplier: true).decode(registers: [100]) == .int(1000))
        #expect(try codec(.int16, 1, divider: 4, multiplier: 10, integerMultiplier: true).decode(registers: [100]) == .double(25))
        #expect(try codec(.float32, 2, divider: 3).decode(registers: [15753, 14392]) == .double(0.022334000000000003))
    }

    @Test("8-bit types read the high byte in either byte order; 64-bit integers are exact")
    func eightAndSixtyFour() throws {
        for order in ModbusByteOrder.allCases {
            #expect(try codec(.uint8, 1, byteOrder: order).decode(registers: [4660]) == .uint(18))
        }
        #expect(try codec(.uint64, 4).decode(registers: [61271, 60108, 52431, 39186]) == .uint(17_246_511_463_368_988_946))
    }
}
