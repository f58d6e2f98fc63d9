import CModbus
import Dispatch
import IronbridgeSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A Modbus slave (server) for simulators and tests, built on libmodbus's server side:
/// `modbus_new_tcp` + `modbus_tcp_listen` with a poll() loop over many clients, or
/// `modbus_new_rtu` + `modbus_set_slave` on a serial device; each request is read with
/// `modbus_receive` and answered with `modbus_reply` from a `modbus_mapping_t`.
///
/// Thread rules: it serves on its own dedicated `SystemThread` (never Swift's cooperative
/// pool), started by `init`. All methods are thread-safe: the register accessors, the
/// counters and the faults share one `Mutex` with the serving thread, which holds it
/// while it answers a request. ``stop(timeout:)`` wakes the thread through a self-pipe
/// and joins it; `deinit` stops it too.
///
/// It counts the requests it received per function code (``requestCount(_:)``), so tests
/// can prove coalescing at the server, and it can misbehave on purpose
/// (``addFault(_:)``): exception replies, slow replies, no replies.
public final class ModbusServer: Sendable {
    private enum Lifecycle { case running, stopping, stopped }

    /// Where clients reach the server; for TCP it carries the bound port (never 0).
    public let endpoint: ModbusEndpoint
    private let store: ModbusServerStore
    private let loop: ModbusServerLoop
    private let lifecycle = Mutex(Lifecycle.running)

    /// Binds (TCP) or opens (RTU) the endpoint, then starts serving on a new thread.
    /// - Throws: ``ModbusError`` with operation `.listen`, e.g. when the port is taken
    ///   or the device cannot be opened.
    public init(_ transport: Transport, configuration: Configuration = .init()) throws(ModbusError) {
        let name: String
        switch transport {
        case .tcp(let host, let port), .tls(let host, let port, _): name = ModbusEndpoint.tcp(host: host, port: port).description
        case .rtu(let settings, _), .ascii(let settings, _): name = settings.device
        }
        func failure(_ cause: ModbusError.Cause) -> ModbusError {
            ModbusError(operation: .listen, endpoint: name, cause: cause)
        }
        func systemFailure() -> ModbusError { failure(.init(errno: errno)) }

        guard let state = ModbusServerState(configuration) else { throw systemFailure() }
        guard let wake = WakePipe() else { throw systemFailure() }
        let context: OpaquePointer
        let medium: ModbusServerLoop.Medium
        do throws(ModbusError) {
            switch transport {
            case .tcp(let host, let port), .tls(let host, let port, _):
                var tls: ModbusTLSContext?
                if case .tls(_, _, let settings) = transport {
                    do throws(ModbusError.Cause) { tls = try ModbusTLSContext(settings, role: .server) } catch { throw failure(error) }
                }
                var ipv4 = in_addr()
                guard inet_pton(AF_INET, host, &ipv4) == 1 else {
                    throw failure(.invalidArgument("host must be an IPv4 address, got \(host)"))
                }
                guard (0...65535).contains(port) else { throw failure(.invalidArgument("port \(port)")) }
                guard let created = modbus_new_tcp(host, Int32(port)) else { throw systemFailure() }
                let listener = modbus_tcp_listen(created, 16)
                guard listener >= 0 else {
                    let error = systemFailure()
                    modbus_free(created)
                    throw error
                }
                _ = fcntl(listener, F_SETFD, FD_CLOEXEC)
                context = created
                let bound = Self.boundPort(of: listener) ?? port
                if case .tls(_, _, let settings) = transport, let tls {
                    medium = .tls(listener: listener, tls)
                    endpoint = .tls(host: host, port: bound, settings)
                } else {
                    medium = .tcp(listener: listener)
                    endpoint = .tcp(host: host, port: bound)
                }
            case .ascii(let settings, _):
                // The TCP context only builds replies (modbus_reply); the line frames them.
                let line = ModbusASCIILine(settings: settings)
                do throws(ModbusError.Cause) { try line.open() } catch { throw failure(error) }
                guard let created = modbus_new_tcp("127.0.0.1", 502) else { throw systemFailure() }
                context = created
                medium = .ascii(line)
                endpoint = .ascii(settings)
            case .rtu(let settings, let unitId):
                context = try ModbusServerLoop.openRTU(settings, unitId: unitId)
                medium = .rtu(settings, unitId: unitId)
                endpoint = .rtu(settings)
            }
        } catch {
            wake.closeBoth()
            throw error
        }
        store = ModbusServerStore(state)
        // TCP answers every unit id unless told; RTU its unit id, or the ones it is told.
        let units: Set<Int>? = switch transport {
        case .tcp, .tls: configuration.unitIds
        case .rtu(_, let unitId), .ascii(_, let unitId): configuration.unitIds ?? [unitId]
        }
        loop = ModbusServerLoop(
            context: context, medium: medium, store: store, wake: wake, unitIds: units,
            maxClients: configuration.maxClients)
        let loop = self.loop
        let thread = SystemThread { loop.run() }
        thread.name = "modbus-server \(endpoint)"
        thread.start()
    }

    deinit { stop() }

    /// The bound TCP port, nil for RTU.
    public var port: Int? {
        switch endpoint {
        case .tcp(_, let port), .tls(_, let port, _): port
        default: nil
        }
    }

    /// Stops serving and joins the serving thread: wakes it through the self-pipe, then
    /// waits at most `timeout` (a reply being delayed by a fault is cut short). Closes
    /// the listening socket, all client connections and the device. Idempotent.
    /// - Returns: whether the thread finished within `timeout`.
    @discardableResult
    public func stop(timeout: Duration = .seconds(5)) -> Bool {
        let wakeNeeded = lifecycle.withLock { state in
            guard state == .running else { return false }
            state = .stopping
            return true
        }
        if wakeNeeded { loop.wake.wake() }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) * 1e-18
        guard loop.finished.wait(timeout: .now() + seconds) == .success else { return false }
        loop.finished.signal()  // let any concurrent or later stop() through as well
        let closeNeeded = lifecycle.withLock { state in
            defer { state = .stopped }
            return state != .stopped
        }
        if closeNeeded { loop.wake.closeBoth() }
        return true
    }

    // MARK: - Register map

    /// Reads registers of the map. Traps if the range lies outside the configured size.
    public func registers(_ table: RegisterTable, at address: Int, count: Int) -> [UInt16] {
        store.state.withLock { state in Array(state.registers(table)[address..<(address + count)]) }
    }

    /// Writes registers of the map. Traps if the range lies outside the configured size.
    public func setRegisters(_ table: RegisterTable, at address: Int, _ values: [UInt16]) {
        store.state.withLock { state in
            let buffer = state.registers(table)
            for (offset, value) in values.enumerated() { buffer[address + offset] = value }
        }
    }

    /// Reads bits of the map. Traps if the range lies outside the configured size.
    public func bits(_ table: BitTable, at address: Int, count: Int) -> [Bool] {
        store.state.withLock { state in state.bits(table)[address..<(address + count)].map { $0 != 0 } }
    }

    /// Writes bits of the map. Traps if the range lies outside the configured size.
    public func setBits(_ table: BitTable, at address: Int, _ values: [Bool]) {
        store.state.withLock { state in
            let buffer = state.bits(table)
            for (offset, value) in values.enumerated() { buffer[address + offset] = value ? 1 : 0 }
        }
    }

    // MARK: - Counters and faults

    /// How many requests with this function code reached the server (for a unit id it
    /// serves), including ones answered by a fault.
    public func requestCount(_ code: ModbusFunctionCode) -> Int {
        store.state.withLock { $0.requestCounts[code, default: 0] }
    }

    /// All request counts, per function code.
    public var requestCounts: [ModbusFunctionCode: Int] {
        store.state.withLock { $0.requestCounts }
    }

    public func resetRequestCounts() {
        store.state.withLock { $0.requestCounts = [:] }
    }

    /// Adds a misbehaviour; when several match a request, the one added last wins.
    public func addFault(_ fault: ModbusServerFault) {
        store.state.withLock { $0.faults.append(fault) }
    }

    public func removeAllFaults() {
        store.state.withLock { $0.faults = [] }
    }

    /// `getsockname` on the listening socket: the port the kernel picked for port 0.
    private static func boundPort(of socket: Int32) -> Int? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return rc == 0 ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}
