import Testing
@testable import IronbridgeModbus

/// RTU across a socat pty pair: the server on one end, our client on the other.
@Suite("Modbus RTU over a pty pair", .enabled(if: SocatPtyPair.executable != nil, "socat is not installed"))
struct ModbusRTUTests {
    @Test("reads and writes round-trip for the selected unit id; other unit ids time out")
    func roundTrip() throws {
        let line = try SocatPtyPair()
        defer { line.stop() }
        let server = try ModbusServer(
            .rtu(.init(device: line.first, baudRate: 115_200, parity: .even), unitId: 7),
            configuration: .init(coils: 100, discreteInputs: 100, holdingRegisters: 100, inputRegisters: 100))
        defer { server.stop() }
        server.setRegisters(.input, at: 3, [0x4145, 0x70A4])
        server.setBits(.discreteInputs, at: 1, [true, false, true])

        let connection = try ModbusConnection(endpoint: .rtu(.init(device: line.second, baudRate: 115_200, parity: .even)))
        try connection.setResponseTimeout(.seconds(2))
        try connection.setSlave(7)
        try connection.connect()

        try connection.writeRegisters(address: 10, values: [1, 2, 3])
        try connection.writeRegister(address: 13, value: 4)
        try connection.writeCoils(address: 20, values: [true, false, true])
        try connection.writeCoil(address: 23, value: true)
        #expect(try connection.readHoldingRegisters(address: 10, count: 4) == [1, 2, 3, 4])
        #expect(try connection.readCoils(address: 20, count: 4) == [true, false, true, true])
        #expect(try connection.readInputRegisters(address: 3, count: 2) == [0x4145, 0x70A4])
        #expect(try connection.readDiscreteInputs(address: 1, count: 3) == [true, false, true])
        #expect(server.registers(.holding, at: 10, count: 4) == [1, 2, 3, 4])

        try connection.setSlave(8)
        try connection.setResponseTimeout(.milliseconds(300))
        let error = #expect(throws: ModbusError.self) { try connection.readHoldingRegisters(address: 10, count: 1) }
        #expect(error?.cause == .timeout)
        #expect(error?.description == "timeout reading holding registers 10 on unit 8 at \(line.second)")

        try connection.setSlave(7)
        #expect(try connection.readHoldingRegisters(address: 12, count: 2) == [3, 4])
        #expect(server.requestCount(.readHoldingRegisters) == 2)
        #expect(server.requestCount(.writeMultipleRegisters) == 1)
    }

    @Test("an exception from an RTU slave carries the device path")
    func exception() throws {
        let line = try SocatPtyPair()
        defer { line.stop() }
        let server = try ModbusServer(.rtu(.init(device: line.first), unitId: 1))
        defer { server.stop() }
        server.addFault(.init(addresses: 5...5, behavior: .exception(.illegalDataValue)))
        let connection = try ModbusConnection(endpoint: .rtu(.init(device: line.second)))
        try connection.setSlave(1)
        try connection.connect()
        #expect(throws: ModbusError(operation: .request(.writeSingleRegister), unitId: 1, address: 5, count: 1,
                                    endpoint: line.second, cause: .exception(.illegalDataValue))) {
            try connection.writeRegister(address: 5, value: 9)
        }
    }
}
