/// Modbus ASCII framing (Modbus over serial line, §2.5.2): `:` + the address, PDU and LRC
/// as upper-case hex, two characters per byte + CR LF. libmodbus has no ASCII framing;
/// ``ModbusASCIILine`` sends and receives these frames on a serial port.
public enum ModbusASCIIFrame {
    /// The LRC: the two's complement of the 8-bit sum of `bytes`.
    public static func lrc(_ bytes: some Sequence<UInt8>) -> UInt8 {
        0 &- bytes.reduce(UInt8(0)) { $0 &+ $1 }
    }

    /// The frame for `pdu` to `unit`: `:`, hex of unit + PDU + LRC, CR LF.
    public static func encode(unit: UInt8, pdu: [UInt8]) -> [UInt8] {
        let body = [unit] + pdu
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = [UInt8(ascii: ":")]
        for byte in body + [lrc(body)] {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        out += [0x0D, 0x0A]
        return out
    }

    public enum DecodeError: Error, Equatable {
        /// Not `:` hex… CR LF with an even number of hex digits and at least unit + function + LRC.
        case malformed
        /// The LRC does not match.
        case badLRC
    }

    /// Unit and PDU of one frame's characters, from `:` up to (excluding) CR LF.
    public static func decode(_ frame: some Collection<UInt8>) throws(DecodeError) -> (unit: UInt8, pdu: [UInt8]) {
        let characters = Array(frame)
        guard characters.first == UInt8(ascii: ":"), characters.count >= 7, (characters.count - 1) % 2 == 0 else { throw .malformed }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((characters.count - 1) / 2)
        var index = 1
        while index < characters.count {
            guard let high = hexValue(characters[index]), let low = hexValue(characters[index + 1]) else { throw .malformed }
            bytes.append(high << 4 | low)
            index += 2
        }
        let body = bytes.dropLast()
        guard lrc(body) == bytes.last else { throw .badLRC }
        return (body.first!, Array(body.dropFirst()))
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
