import Testing
@testable import IronbridgeModbus

@Suite("Value codec")
struct ModbusValueCodecTests {
    private func codec(
        _ type: ModbusDataType, objectsCount: Int = 1, byteOrder: ModbusByteOrder = .big,
        wordOrder: ModbusWordOrder = .big, bit: Int? = nil, bitTargetType: ModbusBitTargetType = .bool,
        divider: Double? = nil, multiplier: Double? = nil
    ) throws -> ModbusValueCodec {
        try ModbusValueCodec(
            type: type, objectsCount: objectsCount, byteOrder: byteOrder, wordOrder: wordOrder, bit: bit,
            bitTargetType: bitTargetType, divider: divider, multiplier: multiplier)
    }

    @Test("32int 0x12345678 follows the documented word-order vectors")
    func int32WordOrderVectors() throws {
        #expect(try codec(.int32, wordOrder: .big).encodeRegisters(.int(0x1234_5678)) == [0x1234, 0x5678])
        #expect(try codec(.int32, wordOrder: .little).encodeRegisters(.int(0x1234_5678)) == [0x5678, 0x1234])
        #expect(try codec(.int32, wordOrder: .big).decode(registers: [0x1234, 0x5678]) == .int(0x1234_5678))
        #expect(try codec(.int32, wordOrder: .little).decode(registers: [0x5678, 0x1234]) == .int(0x1234_5678))
    }

    @Test("32float 12.34 follows the documented word-order vectors")
    func float32WordOrderVectors() throws {
        #expect(try codec(.float32, wordOrder: .big).encodeRegisters(.double(12.34)) == [0x4145, 0x70A4])
        #expect(try codec(.float32, wordOrder: .little).encodeRegisters(.double(12.34)) == [0x70A4, 0x4145])
        // Rounded to 6 places as the Python gateway reports it (the float itself is 12.340000152...).
        #expect(try codec(.float32, wordOrder: .little).decode(registers: [0x70A4, 0x4145]) == .double(12.34))
    }

    @Test("byteOrder LITTLE swaps the bytes of every register")
    func littleByteOrder() throws {
        #expect(try codec(.uint16, byteOrder: .little).encodeRegisters(.uint(0x1234)) == [0x3412])
        #expect(try codec(.int32, byteOrder: .little, wordOrder: .little).encodeRegisters(.int(0x1234_5678))
            == [0x7856, 0x3412])
        #expect(try codec(.uint16, byteOrder: .little).decode(registers: [0x3412]) == .uint(0x1234))
    }

    @Test("64-bit values span four registers in word order")
    func sixtyFourBit() throws {
        let value = ModbusValue.uint(0x0102_0304_0506_0708)
        #expect(try codec(.uint64).encodeRegisters(value) == [0x0102, 0x0304, 0x0506, 0x0708])
        #expect(try codec(.uint64, wordOrder: .little).encodeRegisters(value) == [0x0708, 0x0506, 0x0304, 0x0102])
        #expect(try codec(.int64).decode(registers: [0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE]) == .int(-2))
        #expect(try codec(.float64).encodeRegisters(.double(1.0)) == [0x3FF0, 0, 0, 0])
    }

    @Test("16float is IEEE half precision")
    func halfPrecision() throws {
        #expect(try codec(.float16).encodeRegisters(.double(1.5)) == [0x3E00])
        #expect(try codec(.float16).encodeRegisters(.int(-2)) == [0xC000])
        #expect(try codec(.float16).decode(registers: [0x3C00]) == .double(1.0))
        #expect(throws: ModbusCodecError.outOfRange(type: .float16, value: "70000")) {
            try codec(.float16).encodeRegisters(.int(70000))
        }
    }

    @Test("8-bit types use the high byte of their register in either byte order, as the Python gateway")
    func eightBit() throws {
        #expect(try codec(.int8).decode(registers: [0xFE12]) == .int(-2))
        #expect(try codec(.uint8).decode(registers: [0x12FE]) == .uint(0x12))
        #expect(try codec(.uint8).encodeRegisters(.uint(255)) == [0xFF00])
        #expect(try codec(.int8, byteOrder: .little).encodeRegisters(.int(-1)) == [0xFF00])
        #expect(try codec(.uint8, byteOrder: .little).decode(registers: [0x12FE]) == .uint(0x12))
        #expect(throws: ModbusCodecError.outOfRange(type: .uint8, value: "256")) { try codec(.uint8).encodeRegisters(.int(256)) }
    }

    static let samples: [ModbusDataType: [ModbusValue]] = [
        .int8: [.int(-128), .int(0), .int(127)],
        .uint8: [.uint(0), .uint(200), .uint(255)],
        .int16: [.int(-32768), .int(-1), .int(32767)],
        .uint16: [.uint(0), .uint(0xBEEF), .uint(65535)],
        .float16: [.double(-0.5), .double(0), .double(65504)],
        .int32: [.int(Int64(Int32.min)), .int(-123_456), .int(Int64(Int32.max))],
        .uint32: [.uint(0), .uint(0xDEAD_BEEF), .uint(UInt64(UInt32.max))],
        .float32: [.double(Double(Float(12.34))), .double(-0x1p100), .double(0.25)],
        .int64: [.int(.min), .int(-42), .int(.max)],
        .uint64: [.uint(0), .uint(0x0123_4567_89AB_CDEF), .uint(.max)],
        .float64: [.double(-1e300), .double(3.141592653589793), .double(0)],
    ]

    @Test("every numeric type round-trips in every byte and word order",
          arguments: ModbusDataType.allCases.filter(\.isNumeric))
    func numericRoundTrips(type: ModbusDataType) throws {
        let values = try #require(Self.samples[type])
        for byteOrder in ModbusByteOrder.allCases {
            for wordOrder in ModbusWordOrder.allCases {
                let codec = try codec(type, byteOrder: byteOrder, wordOrder: wordOrder)
                for value in values {
                    let registers = try codec.encodeRegisters(value)
                    #expect(registers.count == type.fixedRegisterCount)
                    var expected = value
                    if case .double(let number) = value { expected = .double(ModbusValueCodec.round(number, digits: 6)) }
                    #expect(try codec.decode(registers: registers) == expected, "\(type) \(byteOrder) \(wordOrder) \(value)")
                }
            }
        }
    }

    @Test("strings take two characters per register and drop trailing NULs")
    func strings() throws {
        let codec = try codec(.string, objectsCount: 4)
        #expect(try codec.encodeRegisters(.string("Hello")) == [0x4865, 0x6C6C, 0x6F00, 0x0000])
        #expect(try codec.decode(registers: [0x4865, 0x6C6C, 0x6F00, 0x0000]) == .string("Hello"))
        #expect(try self.codec(.string, objectsCount: 4, byteOrder: .little, wordOrder: .little)
            .encodeRegisters(.string("Hello")) == [0x4865, 0x6C6C, 0x6F00, 0x0000])
        #expect(throws: ModbusCodecError.tooLong(type: .string, value: "\"Hello, world\"", capacity: 8)) {
            try codec.encodeRegisters(.string("Hello, world"))
        }
        #expect(throws: ModbusCodecError.tooFewObjects(type: .string, needed: 4, got: 2)) {
            try codec.decode(registers: [0x4865, 0x6C6C])
        }
    }

    @Test("bytes round-trip, never byte-swapped")
    func bytes() throws {
        for order in ModbusByteOrder.allCases {
            let codec = try codec(.bytes, objectsCount: 2, byteOrder: order)
            let registers = try codec.encodeRegisters(.bytes([1, 2, 3]))
            #expect(registers == [0x0102, 0x0300])
            #expect(try codec.decode(registers: registers) == .bytes([1, 2, 3, 0]))
        }
    }

    @Test("bits decode to bool, int or an array, and pick the configured bit")
    func bits() throws {
        #expect(try codec(.bits).decode(bits: [true]) == .bool(true))
        #expect(try codec(.bits, bitTargetType: .int).decode(bits: [true]) == .int(1))
        #expect(try codec(.bits, objectsCount: 3).decode(bits: [true, false, true]) == .bits([true, false, true]))
        #expect(try codec(.bits, objectsCount: 3, bit: 2, bitTargetType: .int).decode(bits: [false, false, true]) == .int(1))
        #expect(try codec(.bits, objectsCount: 16, bit: 4).decode(registers: [0x1000]) == .int(1))
        #expect(try codec(.uint16, bit: 3).decode(registers: [0x0008]) == .bool(true))
        #expect(try codec(.uint16, bit: 2, bitTargetType: .int).decode(registers: [0x0008]) == .int(0))
        let fromRegister = try codec(.bits, objectsCount: 16).decode(registers: [0x8001])
        #expect(fromRegister == .bits(Array(repeating: false, count: 7) + [true, true] + Array(repeating: false, count: 7)))
        #expect(throws: ModbusCodecError.notBitAddressable(.int16)) { try codec(.int16).decode(bits: [true]) }
    }

    @Test("bits encode for coil writes and pack into registers")
    func encodeBits() throws {
        #expect(try codec(.bits).encodeBits(.bool(true)) == [true])
        #expect(try codec(.bits).encodeBits(.int(0)) == [false])
        #expect(try codec(.bits).encodeBits(.string("true")) == [true])
        #expect(try codec(.bits, objectsCount: 3).encodeBits(.bits([true, false, true])) == [true, false, true])
        #expect(try codec(.bits, objectsCount: 3).encodeRegisters(.bits([true, false, true])) == [0x0500])
        #expect(throws: ModbusCodecError.outOfRange(type: .bits, value: "2")) { try codec(.bits).encodeBits(.int(2)) }
        #expect(throws: ModbusCodecError.notBitAddressable(.string)) { try codec(.string).encodeBits(.bool(true)) }
    }

    @Test("divider and multiplier scale register reads; a divider wins over a multiplier")
    func scaling() throws {
        #expect(try codec(.int16, divider: 10).decode(registers: [235]) == .double(23.5))
        #expect(try codec(.int16, divider: 10).decode(registers: [0xFFFB]) == .double(-0.5))
        #expect(try codec(.uint16, multiplier: 2).decode(registers: [235]) == .double(470))
        #expect(try codec(.uint16, divider: 4, multiplier: 2).decode(registers: [10]) == .double(2.5))
        #expect(try codec(.int16, divider: 10).encodeRegisters(.int(235)) == [235])
        #expect(throws: ModbusCodecError.invalidOption("divider must be a non-zero number, got 0.0")) {
            try codec(.int16, divider: 0)
        }
    }

    @Test("out-of-range and ill-typed values are rejected with the type and value named")
    func encodingErrors() throws {
        let error = #expect(throws: ModbusCodecError.self) { try codec(.int16).encodeRegisters(.int(40000)) }
        #expect(error?.description == "value 40000 is out of range for type 16int")
        #expect(throws: ModbusCodecError.outOfRange(type: .uint16, value: "-1")) { try codec(.uint16).encodeRegisters(.int(-1)) }
        #expect(throws: ModbusCodecError.outOfRange(type: .int16, value: "1.5")) { try codec(.int16).encodeRegisters(.double(1.5)) }
        #expect(throws: ModbusCodecError.outOfRange(type: .float32, value: "1e+300")) {
            try codec(.float32).encodeRegisters(.double(1e300))
        }
        let wrongType = #expect(throws: ModbusCodecError.self) { try codec(.int16).encodeRegisters(.string("abc")) }
        #expect(wrongType?.description == "type 16int cannot hold string value \"abc\"")
        #expect(throws: ModbusCodecError.wrongValueType(type: .float32, value: "true", kind: "boolean")) {
            try codec(.float32).encodeRegisters(.bool(true))
        }
        #expect(throws: ModbusCodecError.tooFewObjects(type: .int32, needed: 2, got: 1)) {
            try codec(.int32).decode(registers: [1])
        }
    }

    @Test("numbers given as text are accepted, as RPC params are text")
    func numericText() throws {
        #expect(try codec(.int16).encodeRegisters(.string("12")) == [12])
        #expect(try codec(.int16).encodeRegisters(.string(" -3 ")) == [0xFFFD])
        #expect(try codec(.float32).encodeRegisters(.string("12.34")) == [0x4145, 0x70A4])
    }

    @Test("type names parse with their config spelling; errors list the valid names")
    func parsing() throws {
        for type in ModbusDataType.allCases { #expect(try ModbusDataType(parsing: type.rawValue) == type) }
        let error = #expect(throws: ModbusCodecError.self) { try ModbusDataType(parsing: "int16") }
        #expect(error?.description == "unknown data type \"int16\"; valid types: string, bytes, bits, 8int, 8uint, "
            + "16int, 16uint, 16float, 32int, 32uint, 32float, 64int, 64uint, 64float")
        #expect(try ModbusByteOrder(parsing: "little") == .little)
        #expect(throws: ModbusCodecError.unknownOrder("MIDDLE")) { try ModbusWordOrder(parsing: "MIDDLE") }
    }

    @Test("register counts follow the type, or objectsCount when larger")
    func registerCounts() throws {
        #expect(try codec(.int16).registerCount == 1)
        #expect(try codec(.float32).registerCount == 2)
        #expect(try codec(.int32, objectsCount: 2).registerCount == 2)
        #expect(try codec(.uint64).registerCount == 4)
        #expect(try codec(.string, objectsCount: 5).registerCount == 5)
        #expect(try codec(.bits, objectsCount: 12).readCount(for: .coils) == 12)
    }
}
