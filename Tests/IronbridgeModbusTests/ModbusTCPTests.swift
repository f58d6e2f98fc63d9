import Testing
@testable import IronbridgeModbus

/// Real sockets on loopback: a libmodbus server on an ephemeral port and our client.
@Suite("Modbus TCP against a real server")
struct ModbusTCPTests {
    private func connect(to server: ModbusServer, unitId: Int = 1, timeout: Duration = .seconds(2)) throws -> ModbusConnection {
        let connection = try ModbusConnection(endpoint: server.endpoint)
        try connection.setResponseTimeout(timeout)
        try connection.setSlave(unitId)
        try connection.connect()
        return connection
    }

    @Test("every function code reads and writes the server's map, one request each")
    func everyFunctionCode() throws {
        let server = try ModbusServer(.tcp())
        defer { server.stop() }
        #expect(server.port != 0)
        server.setRegisters(.holding, at: 10, [1, 2, 0xFFFF])
        server.setRegisters(.input, at: 20, [0x1234, 0x5678])
        server.setBits(.coils, at: 5, [true, false, true])
        server.setBits(.discreteInputs, at: 7, [false, true])
        let connection = try connect(to: server)

        #expect(try connection.readHoldingRegisters(address: 10, count: 3) == [1, 2, 0xFFFF])
        #expect(try connection.readInputRegisters(address: 20, count: 2) == [0x1234, 0x5678])
        #expect(try connection.readCoils(address: 5, count: 3) == [true, false, true])
        #expect(try connection.readDiscreteInputs(address: 7, count: 2) == [false, true])
        try connection.writeCoil(address: 100, value: true)
        try connection.writeRegister(address: 200, value: 0xBEEF)
        try connection.writeCoils(address: 300, values: [true, true, false, true])
        try connection.writeRegisters(address: 400, values: [9, 8, 7])

        #expect(server.bits(.coils, at: 100, count: 1) == [true])
        #expect(server.registers(.holding, at: 200, count: 1) == [0xBEEF])
        #expect(server.bits(.coils, at: 300, count: 4) == [true, true, false, true])
        #expect(server.registers(.holding, at: 400, count: 3) == [9, 8, 7])
        #expect(try connection.read(.holdingRegisters, address: 400, count: 3) == .registers([9, 8, 7]))
        #expect(server.requestCounts == [
            .readHoldingRegisters: 2, .readInputRegisters: 1, .readCoils: 1, .readDiscreteInputs: 1,
            .writeSingleCoil: 1, .writeSingleRegister: 1, .writeMultipleCoils: 1, .writeMultipleRegisters: 1,
        ])
    }

    @Test("a coalesced plan of many keys costs one request at the server")
    func coalescedPlan() throws {
        let server = try ModbusServer(.tcp())
        defer { server.stop() }
        let codecs: [(ModbusReadItem, ModbusValueCodec)] = try [
            ("temperature", 0, ModbusValueCodec(type: .int16, byteOrder: .big, wordOrder: .big, divider: 10)),
            ("energy", 2, ModbusValueCodec(type: .uint32, byteOrder: .big, wordOrder: .little)),
            ("power", 6, ModbusValueCodec(type: .float32, byteOrder: .big, wordOrder: .big)),
            ("serial", 12, ModbusValueCodec(type: .string, objectsCount: 2, byteOrder: .big, wordOrder: .big)),
        ].map { key, address, codec in
            (ModbusReadItem(key: key, function: .holdingRegisters, address: address, count: codec.registerCount), codec)
        }
        server.setRegisters(.holding, at: 0, [0xFF06])  // -250
        server.setRegisters(.holding, at: 2, [0x5678, 0x1234])
        server.setRegisters(.holding, at: 6, [0x4145, 0x70A4])
        server.setRegisters(.holding, at: 12, [0x4142, 0x4300])
        let plan = try ModbusReadPlanner().plan(codecs.map(\.0))
        #expect(plan.requests.count == 1)

        let connection = try connect(to: server)
        let results = try plan.itemResults(plan.requests.map {
            try connection.read($0.function, address: $0.address, count: $0.count)
        })
        let values = try zip(results, codecs).map { result, pair in try pair.1.decode(#require(result)) }
        #expect(values == [.double(-25), .uint(0x1234_5678), .double(12.34), .string("ABC")])
        #expect(server.requestCount(.readHoldingRegisters) == 1)
    }

    @Test("an exception reply becomes a named error")
    func exceptionReply() throws {
        let server = try ModbusServer(.tcp())
        defer { server.stop() }
        server.addFault(.init(addresses: 100...101, functionCodes: [.readHoldingRegisters],
                              behavior: .exception(.illegalDataAddress)))
        let connection = try connect(to: server, unitId: 3)
        let error = #expect(throws: ModbusError.self) { try connection.readHoldingRegisters(address: 100, count: 2) }
        #expect(error?.cause == .exception(.illegalDataAddress))
        #expect(error?.description
            == "illegal data address reading holding registers 100..101 on unit 3 at 127.0.0.1:\(server.port!)")
        server.addFault(.init(addresses: 0...0, behavior: .exception(.slaveDeviceBusy)))
        #expect(throws: ModbusError(operation: .request(.writeSingleRegister), unitId: 3, address: 0, count: 1,
                                    endpoint: server.endpoint.description, cause: .exception(.slaveDeviceBusy))) {
            try connection.writeRegister(address: 0, value: 1)
        }
        // Outside the faulty range all is well, on the same connection.
        #expect(try connection.readHoldingRegisters(address: 102, count: 1) == [0])
        #expect(connection.isConnected)
    }

    @Test("a dropped reply times out within the response timeout")
    func droppedReply() throws {
        let server = try ModbusServer(.tcp())
        defer { server.stop() }
        server.addFault(.init(addresses: 300...300, behavior: .drop))
        let connection = try connect(to: server, timeout: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: ModbusError.self) { try connection.readInputRegisters(address: 300, count: 1) }
        let elapsed = start.duration(to: clock.now)
        #expect(error?.cause == .timeout)
        #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(2), "took \(elapsed)")
        server.setRegisters(.input, at: 301, [42])
        #expect(try connection.readInputRegisters(address: 301, count: 1) == [42])
    }

    @Test("a slow reply times out, and its late answer is not taken for the next one")
    func slowReply() throws {
        let server = try ModbusServer(.tcp())
        defer { server.stop() }
        server.setRegisters(.holding, at: 0, [11, 22])
        server.addFault(.init(addresses: 0...0, behavior: .delay(.milliseconds(600))))
        let connection = try connect(to: server, timeout: .milliseconds(200))
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: ModbusError.self) { try connection.readHoldingRegisters(address: 0, count: 1) }
        #expect(error?.cause == .timeout)
        #expect(start.duration(to: clock.now) < .milliseconds(550))
        try connection.setResponseTimeout(.seconds(3))
        #expect(try connection.readHoldingRegisters(address: 1, count: 1) == [22])
        #expect(try connection.readHoldingRegisters(address: 1, count: 1) == [22])
    }

    @Test("requests for unit ids the server does not serve go unanswered")
    func unitIdSelection() throws {
        let server = try ModbusServer(.tcp(), configuration: .init(holdingRegisters: 10, unitIds: [3]))
        defer { server.stop() }
        server.setRegisters(.holding, at: 0, [77])
        let connection = try connect(to: server, unitId: 4, timeout: .milliseconds(200))
        #expect(throws: ModbusError(operation: .request(.readHoldingRegisters), unitId: 4, address: 0, count: 1,
                                    endpoint: server.endpoint.description, cause: .timeout)) {
            try connection.readHoldingRegisters(address: 0, count: 1)
        }
        try connection.setSlave(3)
        #expect(try connection.readHoldingRegisters(address: 0, count: 1) == [77])
        #expect(server.requestCount(.readHoldingRegisters) == 1)
        // Past the configured map: libmodbus answers illegal data address.
        #expect(throws: ModbusError(operation: .request(.readHoldingRegisters), unitId: 3, address: 9, count: 2,
                                    endpoint: server.endpoint.description, cause: .exception(.illegalDataAddress))) {
            try connection.readHoldingRegisters(address: 9, count: 2)
        }
    }

    @Test("a stopped server gives a connection error; after a restart the client reconnects")
    func stopAndRestart() throws {
        let first = try ModbusServer(.tcp())
        let port = try #require(first.port)
        first.setRegisters(.holding, at: 0, [1])
        let connection = try connect(to: first, timeout: .seconds(1))
        #expect(try connection.readHoldingRegisters(address: 0, count: 1) == [1])
        #expect(first.stop())

        let lost = #expect(throws: ModbusError.self) { try connection.readHoldingRegisters(address: 0, count: 1) }
        #expect(lost?.cause.isConnectionLoss == true, "\(String(describing: lost))")
        #expect(!connection.isConnected)
        #expect(throws: ModbusError(operation: .connect, unitId: 1, endpoint: "127.0.0.1:\(port)", cause: .connectionRefused)) {
            try connection.connect()
        }

        let second = try ModbusServer(.tcp(port: port))
        defer { second.stop() }
        #expect(second.port == port)
        second.setRegisters(.holding, at: 0, [2])
        try connection.connect()
        #expect(try connection.readHoldingRegisters(address: 0, count: 1) == [2])
    }

    @Test("stop() returns promptly even while a reply is being delayed and clients are connected")
    func stopIsBounded() throws {
        let server = try ModbusServer(.tcp())
        server.addFault(.init(addresses: 0...0, behavior: .delay(.seconds(30))))
        let idle = try connect(to: server)
        let waiting = try connect(to: server, timeout: .milliseconds(300))
        #expect(throws: ModbusError.self) { try waiting.readHoldingRegisters(address: 0, count: 1) }
        let clock = ContinuousClock()
        let start = clock.now
        #expect(server.stop(timeout: .seconds(5)))
        #expect(start.duration(to: clock.now) < .seconds(1))
        #expect(server.stop())  // idempotent
        #expect(throws: ModbusError.self) { try idle.readHoldingRegisters(address: 1, count: 1) }
    }

    @Test("a taken port or a host name is refused at start")
    func listenErrors() throws {
        let server = try ModbusServer(.tcp())
        defer { server.stop() }
        let taken = #expect(throws: ModbusError.self) { _ = try ModbusServer(.tcp(port: server.port!)) }
        #expect(taken?.operation == .listen)
        #expect(taken?.cause == .system(errno: 98, message: "Address already in use"))
        #expect(throws: ModbusError.self) { _ = try ModbusServer(.tcp(host: "localhost")) }
    }
}
