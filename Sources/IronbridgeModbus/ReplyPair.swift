import CModbus
#if canImport(Glibc)
import Glibc
#endif

/// A socket pair that libmodbus writes its TCP-framed replies to, for the servers whose framing
/// is ours (ASCII, TLS): `modbus_reply` writes to one end, and the loop reads the reply from
/// `readEnd` (non-blocking) to send it in its own framing.
struct ReplyPair {
    let readEnd: Int32
    private let writeEnd: Int32
    private let context: OpaquePointer

    /// Nil when the pair cannot be created.
    init?(for context: OpaquePointer) {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else { return nil }
        _ = fcntl(pair[1], F_SETFL, fcntl(pair[1], F_GETFL) | O_NONBLOCK)
        modbus_set_socket(context, pair[0])
        self.context = context
        writeEnd = pair[0]
        readEnd = pair[1]
    }

    /// Detaches libmodbus and closes both ends.
    func close() {
        modbus_set_socket(context, -1)
        Glibc.close(writeEnd)
        Glibc.close(readEnd)
    }
}
