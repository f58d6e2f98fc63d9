#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes registers or bits read from a slave into a ``ModbusValue``, and encodes
/// values for writes, following the gateway configuration's rules for one key.
///
/// Layout rules:
/// - `byteOrder` applies inside every register: `LITTLE` swaps its two bytes.
/// - `wordOrder` applies across the registers of 32- and 64-bit numbers: `LITTLE` puts
///   the least significant register first. E.g. (byteOrder BIG) `32int 0x12345678` is
///   `[0x1234, 0x5678]` with wordOrder BIG and `[0x5678, 0x1234]` with LITTLE.
/// - `8int`/`8uint` occupy one register and use its first (high) byte, whatever the
///   `byteOrder` (as the Python gateway); encoding leaves the low byte 0.
/// - `16float` is IEEE 754 half precision. Every float read is rounded to `round`
///   decimal places (default 6), as Python's `round(x, 6)` does (correctly rounded).
/// - `string` and `bytes` take `objectsCount` registers, 2 bytes each, high byte first,
///   in register order; neither `byteOrder` nor `wordOrder` applies (as the Python
///   gateway). Strings are UTF-8 with trailing NULs trimmed (text that is not UTF-8 is
///   reported as hex, as the Python gateway does), padded with NULs when written.
/// - `bits` read with FC1/2 are `objectsCount` bits. Read from registers (FC3/4)
///   `objectsCount` counts bits, 16 per register: the bits of each register's high byte,
///   least significant first, then those of its low byte (register bits 8..15, 0..7), as
///   the Python gateway's decoder yields them; `byteOrder` does not apply. One bit
///   (`objectsCount` 1) decodes to `bool`, or to `int` 0/1 with `bitTargetType` int;
///   more decode to ``ModbusValue/bits(_:)``. With `bit` given, bit n of those (the last
///   one if n is past `objectsCount`) decodes to `int` 0/1, as the Python gateway does.
/// - `bit` on a numeric type picks bit n (0 = least significant) of the decoded integer
///   (the Python gateway ignores `bit` there).
/// - `divider` and `multiplier` apply to numeric register reads only: with a divider the
///   result is ``ModbusValue/double(_:)`` `value / divider` (the multiplier is then
///   ignored, as the Python gateway); else an integer times an integral multiplier
///   stays an integer, anything else becomes a double. Writes never scale.
/// - Numeric types read `max(objectsCount, fixed size)` registers (configs often say
///   objectsCount 2 for 32-bit types) and decode one value from the first ones.
public struct ModbusValueCodec: Sendable, Hashable {
    public let type: ModbusDataType
    public let objectsCount: Int
    public let byteOrder: ModbusByteOrder
    public let wordOrder: ModbusWordOrder
    public let bit: Int?
    public let bitTargetType: ModbusBitTargetType
    public let divider: Double?
    public let multiplier: Double?
    /// Decimal places floats are rounded to (the key's `round`, default 6).
    public let roundDigits: Int
    /// The multiplier was written as a JSON integer: integers times it stay integers.
    public let multiplierIsInteger: Bool

    /// - Throws: ``ModbusCodecError/invalidOption(_:)`` for objectsCount < 1, a zero or
    ///   non-finite divider/multiplier, or a negative `bit`.
    public init(
        type: ModbusDataType, objectsCount: Int = 1, byteOrder: ModbusByteOrder,
        wordOrder: ModbusWordOrder, bit: Int? = nil, bitTargetType: ModbusBitTargetType = .bool,
        divider: Double? = nil, multiplier: Double? = nil, multiplierIsInteger: Bool = false,
        roundDigits: Int = 6
    ) throws(ModbusCodecError) {
        guard (0...17).contains(roundDigits) else { throw .invalidOption("round must be 0 to 17 decimal places, got \(roundDigits)") }
        guard objectsCount >= 1 else { throw .invalidOption("objectsCount must be at least 1, got \(objectsCount)") }
        if let divider, divider == 0 || !divider.isFinite {
            throw .invalidOption("divider must be a non-zero number, got \(divider)")
        }
        if let multiplier, !multiplier.isFinite {
            throw .invalidOption("multiplier must be a finite number, got \(multiplier)")
        }
        if let bit, bit < 0 || (type.isNumeric && bit >= type.bitWidth) {
            throw .invalidOption("bit \(bit) is outside type \(type)")
        }
        self.type = type
        self.objectsCount = objectsCount
        self.byteOrder = byteOrder
        self.wordOrder = wordOrder
        self.bit = bit
        self.bitTargetType = bitTargetType
        self.divider = divider
        self.multiplier = multiplier
        self.roundDigits = roundDigits
        self.multiplierIsInteger = multiplierIsInteger
    }

    /// Registers to read (FC3/4) or write (FC6/16) for this key.
    public var registerCount: Int {
        type == .bits ? (objectsCount + 15) / 16 : max(objectsCount, type.fixedRegisterCount ?? 0)
    }

    /// Bits to read (FC1/2) or coils to write (FC5/15): `objectsCount`.
    public var bitCount: Int { objectsCount }

    /// Objects to read with `function`: bits for FC1/2, registers for FC3/4.
    public func readCount(for function: ModbusReadFunction) -> Int {
        function.accessesBits ? bitCount : registerCount
    }

    // MARK: - Decoding

    /// Decodes the result of a read with any function code.
    public func decode(_ result: ModbusReadResult) throws(ModbusCodecError) -> ModbusValue {
        switch result {
        case .bits(let bits): try decode(bits: bits)
        case .registers(let registers): try decode(registers: registers)
        }
    }

    /// Decodes one item's share of a poll (``ModbusReadPlan/forEachItem(in:_:)``).
    public func decode(_ data: ModbusItemData) throws(ModbusCodecError) -> ModbusValue {
        switch data {
        case .bits(let bits): try decode(bits: bits)
        case .registers(let registers): try decode(registers: registers)
        }
    }

    /// Decodes bits read with FC1/2. Only `bits` can be read this way.
    public func decode(bits: some RandomAccessCollection<Bool>) throws(ModbusCodecError) -> ModbusValue {
        guard type == .bits else { throw .notBitAddressable(type) }
        return try selectBits(Array(bits), needed: bitCount)
    }

    /// Decodes registers read with FC3/4.
    public func decode(registers: some RandomAccessCollection<UInt16>) throws(ModbusCodecError) -> ModbusValue {
        guard registers.count >= registerCount else {
            throw .tooFewObjects(type: type, needed: registerCount, got: registers.count)
        }
        // The poll path: 16- to 64-bit numbers are assembled in place, without arrays.
        if let count = type.fixedRegisterCount, type != .int8, type != .uint8 {
            var raw: UInt64 = 0
            var index = registers.startIndex
            for position in 0..<count {
                let word = UInt64(applyByteOrder(registers[index]))
                raw |= wordOrder == .big ? word << UInt64(16 * (count - 1 - position)) : word << UInt64(16 * position)
                index = registers.index(after: index)
            }
            return scaled(rounded(number(raw: raw)))
        }
        let registers = Array(registers)
        let plain = Array(registers.prefix(registerCount))
        switch type {
        case .bits:
            let bits: [Bool] = plain.flatMap { (word: UInt16) -> [Bool] in
                Self.registerBitOrder.map { (offset: Int) -> Bool in word >> offset & 1 == 1 }
            }
            return try selectBits(bits, needed: objectsCount)
        case .bytes:
            return .bytes(Self.bytes(of: plain))
        case .string:
            let bytes = Self.bytes(of: plain)
            let end = bytes.lastIndex { $0 != 0 }.map { $0 + 1 } ?? 0
            let text = bytes[..<end]
            guard let utf8 = String(validating: text, as: UTF8.self) else { return .string(Self.hex(bytes)) }
            return .string(utf8)
        case .int8:
            return scaled(bit.map { single(plain[0] >> UInt16(8 + $0) & 1 == 1) } ?? .int(Int64(Int8(truncatingIfNeeded: plain[0] >> 8))))
        case .uint8:
            return scaled(bit.map { single(plain[0] >> UInt16(8 + $0) & 1 == 1) } ?? .uint(UInt64(plain[0] >> 8)))
        default:
            let words = plain.map(applyByteOrder)
            return scaled(rounded(number(from: Array(words.prefix(type.fixedRegisterCount!)))))
        }
    }

    /// Register bits in the order the Python gateway's decoder yields them: the high
    /// byte's bits least significant first, then the low byte's.
    static let registerBitOrder = Array(8..<16) + Array(0..<8)

    /// Lower-case hex of `bytes`, as the Python gateway reports `bytes` values.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// A float rounded to `roundDigits` places, as Python's `round(x, n)`: the decimal
    /// nearest to the exact binary value (ties to even), read back as a double.
    private func rounded(_ value: ModbusValue) -> ModbusValue {
        guard case .double(let number) = value, number.isFinite else { return value }
        return .double(Self.round(number, digits: roundDigits))
    }

    /// Python's `round(number, digits)` for finite numbers.
    public static func round(_ number: Double, digits: Int) -> Double {
        guard number.isFinite else { return number }
        var buffer = [CChar](repeating: 0, count: 400)
        let length = withVaList([Int32(digits), number]) { arguments in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, "%.*f", arguments) }
        }
        guard length > 0, Int(length) < buffer.count else { return number }
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return Double(text) ?? number
    }

    private func selectBits(_ bits: [Bool], needed: Int) throws(ModbusCodecError) -> ModbusValue {
        guard bits.count >= needed else { throw .tooFewObjects(type: type, needed: needed, got: bits.count) }
        if let bit {
            // As the Python gateway: bit n of the first objectsCount bits (the last one
            // when n is past them), always as an integer 0/1.
            let chosen = bits[min(bit, needed - 1)]
            return .int(chosen ? 1 : 0)
        }
        return needed == 1 ? single(bits[0]) : .bits(Array(bits.prefix(needed)))
    }

    private func single(_ bit: Bool) -> ModbusValue {
        bitTargetType == .bool ? .bool(bit) : .int(bit ? 1 : 0)
    }

    /// Numeric value of `words` (byte order already applied, word order not yet).
    private func number(from words: [UInt16]) -> ModbusValue {
        number(raw: (wordOrder == .big ? words : words.reversed()).reduce(UInt64(0)) { $0 << 16 | UInt64($1) })
    }

    /// Numeric value of the value's bits, most significant word first.
    private func number(raw: UInt64) -> ModbusValue {
        if let bit { return single(raw >> UInt64(bit) & 1 == 1) }
        switch type {
        case .int8: return .int(Int64(Int8(truncatingIfNeeded: raw)))
        case .uint8: return .uint(raw & 0xFF)
        case .int16: return .int(Int64(Int16(truncatingIfNeeded: raw)))
        case .int32: return .int(Int64(Int32(truncatingIfNeeded: raw)))
        case .int64: return .int(Int64(bitPattern: raw))
        case .float16: return .double(Double(Float16(bitPattern: UInt16(truncatingIfNeeded: raw))))
        case .float32: return .double(Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))))
        case .float64: return .double(Double(bitPattern: raw))
        default: return .uint(raw)
        }
    }

    private func scaled(_ value: ModbusValue) -> ModbusValue {
        guard bit == nil, divider != nil || multiplier != nil else { return value }
        let raw: Double
        switch value {
        case .int(let number): raw = Double(number)
        case .uint(let number): raw = Double(number)
        case .double(let number): raw = number
        default: return value
        }
        if let divider { return .double(raw / divider) }
        guard let multiplier else { return value }
        // An integer times a whole multiplier stays an integer (Python's int * int).
        if multiplierIsInteger, let factor = Int64(exactly: multiplier) {
            switch value {
            case .int(let number):
                let (product, overflow) = number.multipliedReportingOverflow(by: factor)
                if !overflow { return .int(product) }
            case .uint(let number):
                if factor >= 0 {
                    let (product, overflow) = number.multipliedReportingOverflow(by: UInt64(factor))
                    if !overflow { return .uint(product) }
                } else if let signed = Int64(exactly: number) {
                    let (product, overflow) = signed.multipliedReportingOverflow(by: factor)
                    if !overflow { return .int(product) }
                }
            default: break
            }
        }
        return .double(raw * multiplier)
    }

    // MARK: - Encoding

    /// Encodes `value` into registers for FC6 (one register) or FC16. Integers and
    /// numbers may also be given as text (RPC params are text).
    public func encodeRegisters(_ value: ModbusValue) throws(ModbusCodecError) -> [UInt16] {
        let words: [UInt16]
        switch type {
        case .bits:
            let bits = try encodeBits(value)
            let count = max(registerCount, (bits.count + 15) / 16)
            // The inverse of decoding: bit i of each 16 goes to register bit registerBitOrder[i].
            return (0..<count).map { index in
                (0..<16).reduce(UInt16(0)) { word, offset in
                    let position = index * 16 + offset
                    return position < bits.count && bits[position] ? word | 1 << Self.registerBitOrder[offset] : word
                }
            }
        case .string, .bytes:
            let bytes: [UInt8]
            switch (type, value) {
            case (.string, .string(let text)): bytes = Array(text.utf8)
            case (.bytes, .bytes(let data)): bytes = data
            case (.bytes, .string(let text)): bytes = Array(text.utf8)
            default: throw .wrongValueType(type: type, value: value.description, kind: value.kind)
            }
            guard bytes.count <= registerCount * 2 else {
                throw .tooLong(type: type, value: value.description, capacity: registerCount * 2)
            }
            let padded = bytes + [UInt8](repeating: 0, count: registerCount * 2 - bytes.count)
            // Text and bytes are never byte-swapped (as the Python gateway).
            return stride(from: 0, to: padded.count, by: 2).map { UInt16(padded[$0]) << 8 | UInt16(padded[$0 + 1]) }
        case .int8, .uint8:
            // One byte in the register's high byte, whatever the byte order (as the Python gateway).
            return [UInt16(truncatingIfNeeded: try rawBits(of: value)) << 8]
        default:
            let raw = try rawBits(of: value)
            let count = type.fixedRegisterCount!
            let mostSignificantFirst = (0..<count).map { UInt16(truncatingIfNeeded: raw >> UInt64(16 * (count - 1 - $0))) }
            let ordered = wordOrder == .big ? mostSignificantFirst : mostSignificantFirst.reversed()
            // Numbers never need padding: objectsCount beyond the type's size is ignored.
            words = ordered
        }
        return words.map(applyByteOrder)
    }

    /// Encodes `value` into coils for FC5 (one) or FC15: `bool`, `bits`, 0/1 integers,
    /// or the text `true`/`false`/`1`/`0`. Only `bits` (and numeric types, given 0 or 1)
    /// can be written as coils.
    public func encodeBits(_ value: ModbusValue) throws(ModbusCodecError) -> [Bool] {
        guard type == .bits || type.isNumeric else { throw .notBitAddressable(type) }
        switch value {
        case .bool(let bit): return [bit]
        case .bits(let bits): return bits
        case .int(0), .uint(0), .double(0), .string("0"), .string("false"): return [false]
        case .int(1), .uint(1), .double(1), .string("1"), .string("true"): return [true]
        case .int, .uint, .double: throw .outOfRange(type: type, value: value.description)
        default: throw .wrongValueType(type: type, value: value.description, kind: value.kind)
        }
    }

    /// The value's bit pattern in the type's width, range-checked.
    private func rawBits(of value: ModbusValue) throws(ModbusCodecError) -> UInt64 {
        if type.isFloatingPoint {
            let number = try double(from: value)
            switch type {
            case .float16:
                let half = Float16(number)
                guard half.isFinite || !number.isFinite else { throw .outOfRange(type: type, value: value.description) }
                return UInt64(half.bitPattern)
            case .float32:
                let single = Float(number)
                guard single.isFinite || !number.isFinite else { throw .outOfRange(type: type, value: value.description) }
                return UInt64(single.bitPattern)
            default:
                return number.bitPattern
            }
        }
        let integer = try self.integer(from: value)
        let width = type.bitWidth
        let range: ClosedRange<Int128> = type.isSignedInteger
            ? -(Int128(1) << (width - 1))...(Int128(1) << (width - 1) - 1)
            : 0...(Int128(1) << width - 1)
        guard range.contains(integer) else { throw .outOfRange(type: type, value: value.description) }
        let pattern = UInt64(truncatingIfNeeded: integer)
        return width == 64 ? pattern : pattern & (UInt64(1) << width - 1)
    }

    private func integer(from value: ModbusValue) throws(ModbusCodecError) -> Int128 {
        switch value {
        case .int(let number): return Int128(number)
        case .uint(let number): return Int128(number)
        case .bool(let flag): return flag ? 1 : 0
        case .double(let number):
            guard let exact = Int128(exactly: number) else { throw .outOfRange(type: type, value: value.description) }
            return exact
        case .string(let text):
            let trimmed = text.trimmingWhitespace()
            if let exact = Int128(trimmed) { return exact }
            if let number = Double(trimmed) {
                guard let exact = Int128(exactly: number) else { throw .outOfRange(type: type, value: value.description) }
                return exact
            }
            throw .wrongValueType(type: type, value: value.description, kind: value.kind)
        case .bytes, .bits:
            throw .wrongValueType(type: type, value: value.description, kind: value.kind)
        }
    }

    private func double(from value: ModbusValue) throws(ModbusCodecError) -> Double {
        switch value {
        case .int(let number): return Double(number)
        case .uint(let number): return Double(number)
        case .double(let number): return number
        case .string(let text):
            guard let number = Double(text.trimmingWhitespace()) else {
                throw .wrongValueType(type: type, value: value.description, kind: value.kind)
            }
            return number
        case .bool, .bytes, .bits:
            throw .wrongValueType(type: type, value: value.description, kind: value.kind)
        }
    }

    // MARK: - Byte layout

    /// Swaps the register's bytes for `LITTLE`; its own inverse.
    private func applyByteOrder(_ word: UInt16) -> UInt16 {
        byteOrder == .big ? word : word.byteSwapped
    }

    private static func bytes(of words: [UInt16]) -> [UInt8] {
        words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return self[start...end]
    }
}
