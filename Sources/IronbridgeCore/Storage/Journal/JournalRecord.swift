/// How one record sits in a journal segment:
///
///     u32 LE  body length
///     u32 LE  CRC-32C of the body
///     body:   u64 LE sequence, i64 LE time stored (Unix ms), the upload (``UploadCodec``)
///
/// A segment file starts with the 8-byte magic `IBJRNL01`. A torn or corrupted record fails
/// its checksum; the reader then looks for the next record that passes it.
enum JournalRecord {
    static let magic: [UInt8] = Array("IBJRNL01".utf8)
    static let headerSize = 8
    static let bodyPrefixSize = 16
    /// Larger bodies are taken as corruption (a record is one device's values from one poll).
    static let maxBodySize = 16 << 20

    /// Appends one framed record to `out`.
    static func append(sequence: UInt64, storedAt: Int64, upload: Upload, to out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: headerSize))
        put(sequence, &out)
        put(UInt64(bitPattern: storedAt), &out)
        UploadCodec.encode(upload, into: &out)
        let bodyLength = out.count - start - headerSize
        let checksum = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + headerSize)...])) }
        out.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(bodyLength).littleEndian, toByteOffset: start, as: UInt32.self)
            raw.storeBytes(of: checksum.littleEndian, toByteOffset: start + 4, as: UInt32.self)
        }
    }

    /// A record found in a buffer: where it is and what it holds (the upload still encoded).
    struct Frame {
        var offset: Int
        var length: Int
        var sequence: UInt64
        var storedAt: Int64
        var body: Range<Int>
    }

    enum Parse {
        case frame(Frame)
        /// The buffer ends inside the record that starts here: read more, or a torn tail.
        case incomplete
        /// No valid record starts here.
        case invalid
    }

    /// Parses the record starting at `offset` of `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Parse {
        guard bytes.count - offset >= headerSize else { return .incomplete }
        let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        let checksum = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
        guard length >= bodyPrefixSize + 2, length <= maxBodySize else { return .invalid }
        guard bytes.count - offset - headerSize >= length else { return .incomplete }
        let body = (offset + headerSize)..<(offset + headerSize + length)
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[body])) == checksum else { return .invalid }
        let sequence = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: body.lowerBound, as: UInt64.self))
        let storedAt = Int64(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: body.lowerBound + 8, as: UInt64.self)))
        return .frame(Frame(offset: offset, length: headerSize + length, sequence: sequence, storedAt: storedAt,
                            body: (body.lowerBound + bodyPrefixSize)..<body.upperBound))
    }

    /// The offset of the next valid record after damage found at `offset`, or nil.
    static func resynchronise(_ bytes: UnsafeRawBufferPointer, after offset: Int, above sequence: UInt64?) -> Frame? {
        var position = offset + 1
        while position + headerSize <= bytes.count {
            if case .frame(let frame) = parse(bytes, at: position), sequence.map({ frame.sequence > $0 }) ?? true {
                return frame
            }
            position += 1
        }
        return nil
    }

    private static func put(_ value: UInt64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }
}
