import CModbus
#if canImport(Glibc)
import Glibc
#endif

/// Serving Modbus ASCII on a serial line. Each `:` … CR LF frame is decoded here; a request
/// for a served unit is answered by the same code as TCP (`handle`, which applies faults and
/// calls `modbus_reply` on the register map with a TCP context). libmodbus writes that reply
/// to one end of a socket pair; it is read from the other end, its MBAP header dropped, and
/// sent as an ASCII frame. A broadcast (unit 0) is executed and not answered.
extension ModbusServerLoop {
    func serveASCII(_ line: ModbusASCIILine) {
        guard let replies = ReplyPair(for: context) else { return }
        defer { replies.close() }
        var request = [UInt8](repeating: 0, count: Int(MODBUS_MAX_ADU_LENGTH))
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            var entries = [wake.readEnd, line.fd].map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&entries, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if entries[0].revents != 0 { return }
            guard entries[1].revents & Int16(POLLIN) != 0 else {
                // Hang-up or error on the line (the pty's peer went away): back off.
                if wake.wait(for: .milliseconds(20)) { return }
                continue
            }
            let count = chunk.withUnsafeMutableBytes { read(line.fd, $0.baseAddress, $0.count) }
            if count <= 0 {
                if count < 0, errno == EAGAIN || errno == EINTR { continue }
                if wake.wait(for: .milliseconds(20)) { return }
                continue
            }
            buffer += chunk[0..<count]
            while true {
                let frame: (unit: UInt8, pdu: [UInt8])?
                do throws(ModbusError.Cause) { frame = try line.nextFrame(&buffer) } catch { continue }  // a bad LRC: dropped
                guard let frame else { break }
                guard !frame.pdu.isEmpty, frame.pdu.count <= 253 else { continue }
                if frame.unit != 0, let unitIds, !unitIds.contains(Int(frame.unit)) { continue }
                let length = frame.pdu.count + 1
                let mbap: [UInt8] = [0, 1, 0, 0, UInt8(length >> 8), UInt8(length & 0xFF), frame.unit]
                for (index, byte) in (mbap + frame.pdu).enumerated() { request[index] = byte }
                // A broadcast is executed as a request to the first unit served, not answered.
                if frame.unit == 0 { request[6] = UInt8(clamping: unitIds?.min() ?? 1) }
                guard handle(&request, length: Int32(6 + length)) else { return }
                var reply: [UInt8] = []
                for _ in 0..<8 {
                    let got = chunk.withUnsafeMutableBytes { read(replies.readEnd, $0.baseAddress, $0.count) }
                    if got <= 0 { break }
                    reply += chunk[0..<got]
                }
                // Each reply: MBAP (7 bytes, its length field) + PDU; a duplicate fault gives two.
                while reply.count >= 7, frame.unit != 0 {
                    let declared = Int(reply[4]) << 8 | Int(reply[5])
                    guard declared >= 2, reply.count >= 6 + declared else { break }
                    try? line.send(unit: frame.unit, pdu: Array(reply[7..<(6 + declared)]), until: .now + .seconds(2))
                    reply.removeFirst(6 + declared)
                }
            }
            if buffer.count > ModbusASCIILine.maxFrame { buffer.removeAll() }
        }
    }
}
