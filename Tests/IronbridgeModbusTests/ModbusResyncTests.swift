import Foundation
import Testing
@testable import IronbridgeModbus

/// A line that lost frame sync comes back: after a duplicated reply on TCP, or noise on a
/// serial line, the next request or the one after it succeeds, and every later one does.
@Suite("Modbus lines that lose frame sync")
struct ModbusResyncTests {
    /// Reads two different blocks in turn (a stale reply to one cannot pass for the other);
    /// returns how many attempts the first good pair took, failing if any later one fails.
    func alternateReads(_ connection: ModbusConnection, rounds: Int) -> (firstGoodAttempt: Int?, laterFailures: [String]) {
        var firstGood: Int?
        var failures: [String] = []
        for attempt in 1...rounds {
            do {
                #expect(try connection.readHoldingRegisters(address: 0, count: 1) == [11])
                #expect(try connection.readHoldingRegisters(address: 10, count: 3) == [21, 22, 23])
                if firstGood == nil { firstGood = attempt }
            } catch {
                if firstGood != nil { failures.append("\(error)") }
            }
        }
        return (firstGood, failures)
    }

    @Test("TCP: a duplicated reply fails at most one request; the line then works again")
    func duplicatedReplyOverTCP() throws {
        let server = try ModbusServer(.tcp())
        defer { server.stop() }
        server.setRegisters(.holding, at: 0, [11])
        server.setRegisters(.holding, at: 10, [21, 22, 23])
        let connection = try ModbusConnection(endpoint: .tcp(host: "127.0.0.1", port: server.port!))
        try connection.setResponseTimeout(.seconds(2))
        try connection.setSlave(1)
        try connection.connect()
        server.addFault(.init(addresses: 0...0, behavior: .duplicate))
        #expect(try connection.readHoldingRegisters(address: 0, count: 1) == [11])
        server.removeAllFaults()
        let outcome = alternateReads(connection, rounds: 20)
        #expect(outcome.firstGoodAttempt != nil && outcome.firstGoodAttempt! <= 2, "never recovered")
        #expect(outcome.laterFailures.isEmpty, "\(outcome.laterFailures)")
    }

    @Test("RTU: a burst of noise on the line fails at most one request; the line then works again",
          .enabled(if: SocatPtyPair.executable != nil, "socat is not installed"))
    func noiseOnRTU() throws {
        let line = try SocatPtyPair()
        defer { line.stop() }
        let server = try ModbusServer(.rtu(.init(device: line.first, baudRate: 115_200), unitId: 1))
        defer { server.stop() }
        server.setRegisters(.holding, at: 0, [11])
        server.setRegisters(.holding, at: 10, [21, 22, 23])
        let connection = try ModbusConnection(endpoint: .rtu(.init(device: line.second, baudRate: 115_200)))
        try connection.setResponseTimeout(.milliseconds(500))
        try connection.setSlave(1)
        try connection.connect()
        #expect(alternateReads(connection, rounds: 1).firstGoodAttempt == 1)
        // Noise from the slave's side of the line, unasked: the master finds it before its next reply.
        let noise = try #require(FileHandle(forWritingAtPath: line.first))
        var generator = SystemRandomNumberGenerator()
        try noise.write(contentsOf: Data((0..<37).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        try noise.close()
        usleep(50_000)
        let outcome = alternateReads(connection, rounds: 20)
        #expect(outcome.firstGoodAttempt != nil && outcome.firstGoodAttempt! <= 3, "never recovered")
        #expect(outcome.laterFailures.isEmpty, "\(outcome.laterFailures)")
    }
}
