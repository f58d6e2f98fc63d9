import Dispatch
import IronbridgeModbus
import IronbridgeSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A Modbus slave with changing values, for demos and tests: a ``ModbusServer`` plus a
/// thread that updates a few registers and coils every `period`.
///
/// Map (same for every unit id it answers; byte order BIG, word order BIG):
/// - holding 0 / input 0: counter (`16uint`, +1 per tick, wraps)
/// - holding 1 / input 1: sine, amplitude 1000, one turn per 60 ticks (`16int`)
/// - holding 2-3 / input 2-3: the same sine / 1000 as `32float`
/// - coil 0 and discrete input 0: toggle every tick; coil 1: the opposite of coil 0
/// Everything else starts at 0 and keeps what clients write.
public final class ModbusSimulator: Sendable {
    public static let changingRegisters = 0...3
    public let server: ModbusServer
    private let stopped = StopFlag()
    private let finished = DispatchSemaphore(value: 0)

    public init(_ transport: ModbusServer.Transport, configuration: ModbusServer.Configuration = .init(),
                period: Duration = .seconds(1)) throws(ModbusError) {
        server = try ModbusServer(transport, configuration: configuration)
        let server = self.server
        let stopped = self.stopped
        let finished = self.finished
        let periodNanoseconds = max(period.clampedNanoseconds, 1_000_000)
        let thread = SystemThread {
            var tick = 0
            while !stopped.value.withLock({ $0 }) {
                Self.apply(tick: tick, to: server)
                tick += 1
                SystemClock.sleep(nanoseconds: periodNanoseconds)
            }
            finished.signal()
        }
        thread.name = "modbus-simulator"
        thread.start()
    }

    /// The values of tick `tick`.
    public static func apply(tick: Int, to server: ModbusServer) {
        let sine = sin(Double(tick) * 2 * .pi / 60)
        let counter = UInt16(truncatingIfNeeded: tick)
        let scaled = UInt16(bitPattern: Int16(sine * 1000))
        let float = Float(sine).bitPattern
        let registers = [counter, scaled, UInt16(float >> 16), UInt16(float & 0xFFFF)]
        server.setRegisters(.holding, at: 0, registers)
        server.setRegisters(.input, at: 0, registers)
        let toggle = tick % 2 == 0
        server.setBits(.coils, at: 0, [toggle, !toggle])
        server.setBits(.discreteInputs, at: 0, [toggle])
    }

    /// Stops updating and serving.
    public func stop() {
        let first = stopped.value.withLock { state in
            defer { state = true }
            return !state
        }
        if first { _ = finished.wait(timeout: .now() + 5) }
        server.stop()
    }

    deinit { stop() }
}

/// A flag shared by the simulator and its thread.
private final class StopFlag: Sendable {
    let value = Mutex(false)
}
