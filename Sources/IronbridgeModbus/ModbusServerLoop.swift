import CModbus
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The serving side of a ``ModbusServer``: a poll() loop on a dedicated thread over the
/// wake pipe and the listening socket plus clients (TCP), or the serial device (RTU).
///
/// `@unchecked Sendable`: it is built on the starting thread and then handed to the
/// serving thread, which alone uses `context` (the `modbus_t`) and the sockets until it
/// signals `finished`. The members other threads touch (`store`, `wake`, `finished`)
/// are Sendable themselves.
final class ModbusServerLoop: @unchecked Sendable {
    enum Medium {
        case tcp(listener: Int32)
        case rtu(ModbusSerialSettings, unitId: Int)
        case tls(listener: Int32, ModbusTLSContext)
        case ascii(ModbusASCIILine)
    }

    private(set) var context: OpaquePointer
    let medium: Medium
    let store: ModbusServerStore
    let wake: WakePipe
    let unitIds: Set<Int>?
    let maxClients: Int
    /// Signalled once when `run()` has released the context and sockets.
    let finished = DispatchSemaphore(value: 0)

    init(
        context: OpaquePointer, medium: Medium, store: ModbusServerStore, wake: WakePipe,
        unitIds: Set<Int>?, maxClients: Int
    ) {
        self.context = context
        self.medium = medium
        self.store = store
        self.wake = wake
        self.unitIds = unitIds
        self.maxClients = maxClients
    }

    /// Opens a server-side RTU context on `settings` answering `unitId`
    /// (`modbus_new_rtu`, `modbus_set_slave`, `modbus_connect`).
    static func openRTU(_ settings: ModbusSerialSettings, unitId: Int) throws(ModbusError) -> OpaquePointer {
        func failure() -> ModbusError {
            ModbusError(operation: .listen, unitId: unitId, endpoint: settings.device, cause: .init(errno: errno))
        }
        guard
            let context = modbus_new_rtu(
                settings.device, Int32(settings.baudRate), settings.parity.cCharacter,
                Int32(settings.dataBits), Int32(settings.stopBits))
        else { throw failure() }
        guard modbus_set_slave(context, Int32(clamping: unitId)) == 0, modbus_connect(context) == 0 else {
            let error = failure()
            modbus_free(context)
            throw error
        }
        return context
    }

    /// The serving thread's body; returns after ``WakePipe/wake()``.
    func run() {
        switch medium {
        case .tcp(let listener):
            serveTCP(listener: listener)
            close(listener)
        case .rtu(let settings, let unitId):
            serveRTU(settings, unitId: unitId)
            if modbus_get_socket(context) != -1 { modbus_close(context) }
        case .tls(let listener, let tls):
            serveTLS(listener: listener, tls: tls)
            close(listener)
        case .ascii(let line):
            serveASCII(line)
            line.close()
        }
        modbus_free(context)
        finished.signal()
    }

    private func serveTCP(listener: Int32) {
        var clients: [Int32] = []
        defer { for client in clients { close(client) } }
        var request = [UInt8](repeating: 0, count: Int(MODBUS_MAX_ADU_LENGTH))
        while true {
            var entries = [wake.readEnd, listener].map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            entries += clients.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&entries, nfds_t(entries.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if entries[0].revents != 0 { return }
            if entries[1].revents & Int16(POLLIN) != 0 { acceptClient(from: listener, into: &clients) }
            for entry in entries.dropFirst(2) where entry.revents != 0 {
                modbus_set_socket(context, entry.fd)
                let length = request.withUnsafeMutableBufferPointer { modbus_receive(context, $0.baseAddress) }
                if length < 0 {
                    close(entry.fd)
                    clients.removeAll { $0 == entry.fd }
                } else if length > 0, !handle(&request, length: length) {
                    return
                }
            }
        }
    }

    private func acceptClient(from listener: Int32, into clients: inout [Int32]) {
        let client = accept(listener, nil, nil)
        guard client >= 0 else { return }
        guard clients.count < maxClients else {
            close(client)
            return
        }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        var on: Int32 = 1
        _ = setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        clients.append(client)
    }

    private func serveRTU(_ settings: ModbusSerialSettings, unitId: Int) {
        var request = [UInt8](repeating: 0, count: Int(MODBUS_MAX_ADU_LENGTH))
        while true {
            var entries = [wake.readEnd, modbus_get_socket(context)].map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&entries, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if entries[0].revents != 0 { return }
            guard entries[1].revents & Int16(POLLIN) != 0 else {
                // Hang-up or error on the line (e.g. the pty's peer went away): back
                // off instead of spinning, until the line recovers or we are stopped.
                if wake.wait(for: .milliseconds(20)) { return }
                continue
            }
            let length = request.withUnsafeMutableBufferPointer { modbus_receive(context, $0.baseAddress) }
            if length < 0 {
                // Garbled frame or line error: drop what is buffered, like a real slave.
                modbus_flush(context)
                if wake.wait(for: .milliseconds(5)) { return }
            } else if length == 0 {
                // A request for another unit. libmodbus then expects that unit's reply
                // and would swallow the next frame unseen, so start over with a fresh
                // context. libmodbus has read the whole frame into `request`: when it is
                // for another unit this server answers (`unitIds`), answer it here.
                let other = Self.rtuRequestLength(request).flatMap { Self.crcValid(request, length: $0) ? $0 : nil }
                if !reopenRTU(settings, unitId: unitId) { return }
                if let other, let unitIds, unitIds.contains(Int(request[0])), !handle(&request, length: Int32(other)) { return }
            } else if !handle(&request, length: length) {
                return
            }
        }
    }

    /// The length of the RTU request frame at the start of `frame` (unit, function, data,
    /// CRC), from its function code; nil for functions this server does not parse.
    static func rtuRequestLength(_ frame: [UInt8]) -> Int? {
        guard frame.count >= 8 else { return nil }
        switch frame[1] {
        case 1, 2, 3, 4, 5, 6: return 8
        case 15, 16:
            let length = 9 + Int(frame[6])
            return length <= frame.count ? length : nil
        default: return nil
        }
    }

    /// Whether the last two bytes of the first `length` bytes are their Modbus CRC-16.
    static func crcValid(_ frame: [UInt8], length: Int) -> Bool {
        guard length >= 4, length <= frame.count else { return false }
        var crc: UInt16 = 0xFFFF
        for byte in frame[0..<(length - 2)] {
            crc ^= UInt16(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        }
        return frame[length - 2] == UInt8(crc & 0xFF) && frame[length - 1] == UInt8(crc >> 8)
    }

    /// Replaces the RTU context with a fresh one; retries every 100 ms while the device
    /// cannot be opened. Returns false when stopped meanwhile (the old, closed context
    /// then stays for `run()` to free).
    private func reopenRTU(_ settings: ModbusSerialSettings, unitId: Int) -> Bool {
        modbus_close(context)
        while true {
            if let fresh = try? Self.openRTU(settings, unitId: unitId) {
                modbus_free(context)
                context = fresh
                return true
            }
            if wake.wait(for: .milliseconds(100)) { return false }
        }
    }

    /// Answers one request (`modbus_reply` under the store's lock), applying faults.
    /// Returns false when a stop was requested while delaying.
    func handle(_ request: inout [UInt8], length: Int32) -> Bool {
        let header = Int(modbus_get_header_length(context))
        guard Int(length) >= header + 1 else { return true }
        if let unitIds, !unitIds.contains(Int(request[header - 1])) { return true }
        return request.withUnsafeBufferPointer { frame in
            let request = frame.baseAddress!
            guard let code = ModbusFunctionCode(rawValue: frame[header]), Int(length) >= header + 5 else {
                // Unknown function: libmodbus answers "illegal function".
                store.state.withLock { state in _ = modbus_reply(context, request, length, state.mapping) }
                return true
            }
            let address = Int(frame[header + 1]) << 8 | Int(frame[header + 2])
            let count = code.maxCount == 1 ? 1 : max(1, Int(frame[header + 3]) << 8 | Int(frame[header + 4]))
            let behavior = store.state.withLock { state in
                state.admit(code, addresses: address...(address + count - 1))
            }
            switch behavior {
            case .drop:
                return true
            case .exception(let exception):
                _ = modbus_reply_exception(context, request, UInt32(exception.rawValue))
                return true
            case .delay(let delay):
                if wake.wait(for: delay) { return false }
            case .duplicate:
                store.state.withLock { state in _ = modbus_reply(context, request, length, state.mapping) }
            case nil:
                break
            }
            store.state.withLock { state in _ = modbus_reply(context, request, length, state.mapping) }
            return true
        }
    }
}
