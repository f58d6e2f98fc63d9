import ArgumentParser
import IronbridgeModbus
import IronbridgeSystem
import ModbusConnector

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run simulated devices for demos and tests.",
        subcommands: [SimulateModbusCommand.self])
}

struct SimulateModbusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "modbus",
        abstract: "Serve a Modbus slave with changing values over TCP or RTU (libmodbus server side).",
        discussion: """
        Register map (every unit id answered sees the same map; byte order BIG, word order BIG):
          holding/input 0     counter, 16uint, +1 per tick
          holding/input 1     sine, 16int, amplitude 1000, one turn per 60 ticks
          holding/input 2-3   the same sine / 1000 as 32float
          coil 0, discrete 0  toggle every tick; coil 1 is the opposite of coil 0
        Everything else (10000 of each table) starts at 0 and keeps what clients write.
        Stop with Ctrl-C.

        Examples:
          ironbridge simulate modbus --port 5020
          ironbridge simulate modbus --rtu /dev/pts/3 --unit-id 1 --baud 9600 --parity E
        """)

    @Option(help: "TCP address to listen on (IPv4).") var host = "127.0.0.1"
    @Option(help: "TCP port to listen on.") var port = 5020
    @Option(help: "Serve Modbus RTU on this serial device (or pty) instead of TCP.") var rtu: String?
    @Option(name: .customLong("unit-id"), help: "Unit id to answer; repeat for several (TCP and RTU). Default: all on TCP, 1 on RTU.")
    var unitIds: [Int] = []
    @Option(help: "RTU baud rate.") var baud = 19200
    @Option(help: "RTU parity: N, E or O.") var parity = "N"
    @Option(name: .customLong("data-bits"), help: "RTU data bits (5-8).") var dataBits = 8
    @Option(name: .customLong("stop-bits"), help: "RTU stop bits (1 or 2).") var stopBits = 1
    @Option(name: .customLong("period-ms"), help: "How often the values change, in milliseconds.") var periodMs = 1000

    func validate() throws {
        guard ModbusParity(rawValue: parity.uppercased()) != nil else { throw ValidationError("--parity must be N, E or O") }
        guard periodMs > 0 else { throw ValidationError("--period-ms must be positive") }
        guard (1...65535).contains(port) || rtu != nil else { throw ValidationError("--port must be 1-65535") }
    }

    func run() async throws {
        let transport: ModbusServer.Transport
        var configuration = ModbusServer.Configuration()
        if let rtu {
            let settings = ModbusSerialSettings(device: rtu, baudRate: baud, parity: ModbusParity(rawValue: parity.uppercased())!,
                                                dataBits: dataBits, stopBits: stopBits)
            transport = .rtu(settings, unitId: unitIds.first ?? 1)
        } else {
            transport = .tcp(host: host, port: port)
        }
        if !unitIds.isEmpty { configuration.unitIds = Set(unitIds) }
        let simulator = try ModbusSimulator(transport, configuration: configuration, period: .milliseconds(periodMs))
        let banner = "Modbus simulator serving on \(simulator.server.endpoint) (unit ids: \(unitIds.isEmpty ? (rtu == nil ? "all" : "1") : unitIds.map(String.init).joined(separator: ", "))), values change every \(periodMs) ms\n"
        StandardStream.writeOutput(banner)
        while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
        simulator.stop()
    }
}
