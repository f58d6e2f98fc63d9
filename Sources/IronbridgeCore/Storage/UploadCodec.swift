/// The compact binary form of an ``Upload`` in the journal: a kind byte, the device name,
/// then the kind's fields. Strings and counts are length-prefixed with LEB128 varints,
/// integers are zig-zag varints (integers above Int64.max: plain varints under their own
/// tag, added later, so older records read unchanged), doubles are 8 little-endian bytes.
/// Kinds are only ever added (`message`, 6, came with device-to-device messages): a journal
/// written before a kind existed reads unchanged, and its numbers are never reused.
enum UploadCodec {
    struct DecodingError: Error, CustomStringConvertible {
        var reason: String
        var description: String { "an undecodable record: \(reason)" }
    }

    private enum Kind: UInt8 { case connect = 1, disconnect, telemetry, telemetryWithTimestamp, attributes, message }
    private enum Tag: UInt8 { case null = 0, `false`, `true`, int, double, string, array, object, uint }

    static func encode(_ upload: Upload, into out: inout [UInt8]) {
        switch upload {
        case .connect(let device, let type):
            out.append(Kind.connect.rawValue); putString(device, &out); putString(type, &out)
        case .disconnect(let device):
            out.append(Kind.disconnect.rawValue); putString(device, &out)
        case .telemetry(let record):
            if let timestamp = record.timestamp {
                out.append(Kind.telemetryWithTimestamp.rawValue); putString(record.device, &out); putSigned(timestamp, &out)
            } else {
                out.append(Kind.telemetry.rawValue); putString(record.device, &out)
            }
            putPoints(record.values, &out)
        case .attributes(let device, let values):
            out.append(Kind.attributes.rawValue); putString(device, &out); putPoints(values, &out)
        case .message(let message):
            out.append(Kind.message.rawValue); putString(message.sender, &out)
            putSigned(message.uid, &out); putString(message.key, &out); putString(message.target, &out)
            putString(message.method, &out); putValue(message.params, &out)
            putSigned(message.createdMs, &out); putSigned(message.expiresMs, &out); putSigned(message.timeoutMs, &out)
        }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodingError) -> Upload {
        var reader = Reader(bytes: bytes)
        guard let kind = Kind(rawValue: try reader.byte()) else { throw DecodingError(reason: "unknown record kind") }
        let device = try reader.string()
        let upload: Upload
        switch kind {
        case .connect: upload = .connect(device: device, type: try reader.string())
        case .disconnect: upload = .disconnect(device: device)
        case .telemetry: upload = .telemetry(TelemetryRecord(device: device, timestamp: nil, values: try reader.points()))
        case .telemetryWithTimestamp:
            let timestamp = try reader.signed()
            upload = .telemetry(TelemetryRecord(device: device, timestamp: timestamp, values: try reader.points()))
        case .attributes: upload = .attributes(device: device, values: try reader.points())
        case .message:
            let uid = try reader.signed()
            let key = try reader.string(), target = try reader.string(), method = try reader.string()
            let params = try reader.value(depth: 0)
            let created = try reader.signed(), expires = try reader.signed(), timeout = try reader.signed()
            upload = .message(DeviceMessage(uid: uid, sender: device, key: key, target: target, method: method, params: params,
                                            createdMs: created, expiresMs: expires, timeoutMs: timeout))
        }
        guard reader.offset == bytes.count else { throw DecodingError(reason: "\(bytes.count - reader.offset) bytes left over") }
        return upload
    }

    // MARK: Writing

    private static func putPoints(_ points: [DataPoint], _ out: inout [UInt8]) {
        putUnsigned(UInt64(points.count), &out)
        for point in points { putString(point.key, &out); putValue(point.value, &out) }
    }

    private static func putValue(_ value: JSONValue, _ out: inout [UInt8]) {
        switch value {
        case .null: out.append(Tag.null.rawValue)
        case .bool(let flag): out.append(flag ? Tag.true.rawValue : Tag.false.rawValue)
        case .int(let number): out.append(Tag.int.rawValue); putSigned(number, &out)
        case .uint(let number): out.append(Tag.uint.rawValue); putUnsigned(number, &out)
        case .double(let number):
            out.append(Tag.double.rawValue)
            withUnsafeBytes(of: number.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        case .string(let text): out.append(Tag.string.rawValue); putString(text, &out)
        case .array(let items):
            out.append(Tag.array.rawValue); putUnsigned(UInt64(items.count), &out)
            for item in items { putValue(item, &out) }
        case .object(let members):
            out.append(Tag.object.rawValue); putUnsigned(UInt64(members.count), &out)
            for key in members.keys.sorted() { putString(key, &out); putValue(members[key]!, &out) }
        }
    }

    private static func putString(_ text: String, _ out: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            putUnsigned(UInt64(utf8.count), &out)
            out.append(contentsOf: utf8)
        }
    }

    private static func putSigned(_ number: Int64, _ out: inout [UInt8]) {
        putUnsigned(UInt64(bitPattern: (number << 1) ^ (number >> 63)), &out)
    }

    private static func putUnsigned(_ number: UInt64, _ out: inout [UInt8]) {
        var rest = number
        while rest >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    // MARK: Reading

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func byte() throws(DecodingError) -> UInt8 {
            guard offset < bytes.count else { throw DecodingError(reason: "truncated") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func unsigned() throws(DecodingError) -> UInt64 {
            var result: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                let next = try byte()
                result |= UInt64(next & 0x7F) << UInt64(shift)
                if next < 0x80 { return result }
            }
            throw DecodingError(reason: "a varint longer than 64 bits")
        }

        mutating func signed() throws(DecodingError) -> Int64 {
            let raw = try unsigned()
            return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        }

        mutating func count() throws(DecodingError) -> Int {
            let value = try unsigned()
            guard value <= UInt64(bytes.count - offset) else { throw DecodingError(reason: "a length beyond the record") }
            return Int(value)
        }

        mutating func string() throws(DecodingError) -> String {
            let length = try count()
            defer { offset += length }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]), as: UTF8.self)
        }

        mutating func points() throws(DecodingError) -> [DataPoint] {
            let total = try count()
            var points: [DataPoint] = []
            points.reserveCapacity(total)
            for _ in 0..<total { points.append(DataPoint(try string(), try value(depth: 0))) }
            return points
        }

        mutating func value(depth: Int) throws(DecodingError) -> JSONValue {
            guard depth < 64 else { throw DecodingError(reason: "values nested too deeply") }
            guard let tag = Tag(rawValue: try byte()) else { throw DecodingError(reason: "unknown value tag") }
            switch tag {
            case .null: return .null
            case .false: return .bool(false)
            case .true: return .bool(true)
            case .int: return .int(try signed())
            case .uint: return .unsigned(try unsigned())
            case .double:
                guard offset + 8 <= bytes.count else { throw DecodingError(reason: "truncated") }
                var raw: UInt64 = 0
                withUnsafeMutableBytes(of: &raw) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 8])) }
                offset += 8
                return .double(Double(bitPattern: UInt64(littleEndian: raw)))
            case .string: return .string(try string())
            case .array:
                let total = try count()
                var items: [JSONValue] = []
                items.reserveCapacity(total)
                for _ in 0..<total { items.append(try value(depth: depth + 1)) }
                return .array(items)
            case .object:
                let total = try count()
                var members: [String: JSONValue] = [:]
                for _ in 0..<total { members[try string()] = try value(depth: depth + 1) }
                return .object(members)
            }
        }
    }
}
