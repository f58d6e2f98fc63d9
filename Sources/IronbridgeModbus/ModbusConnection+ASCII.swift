/// The requests of a ``ModbusConnection`` to an endpoint it frames itself (ASCII, TCP over
/// TLS): the same PDUs libmodbus builds, framed by the ``ModbusFramedLine``, and their
/// replies checked as strictly.
extension ModbusConnection {
    func asciiReadBits(_ code: ModbusFunctionCode, address: Int, count: Int) throws(ModbusError) -> [Bool] {
        let reply = try asciiRequest(code, address: address, count: count, data: Self.word(count))
        let bytes = (count + 7) / 8
        guard reply.count == 2 + bytes, Int(reply[1]) == bytes else {
            throw error(.request(code), address: address, count: count, cause: .invalidResponse("\(reply.count) bytes for \(count) bits"))
        }
        return (0..<count).map { reply[2 + $0 / 8] >> UInt8($0 % 8) & 1 == 1 }
    }

    func asciiReadRegisters(_ code: ModbusFunctionCode, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        let reply = try asciiRequest(code, address: address, count: count, data: Self.word(count))
        guard reply.count == 2 + 2 * count, Int(reply[1]) == 2 * count else {
            throw error(.request(code), address: address, count: count, cause: .invalidResponse("\(reply.count) bytes for \(count) registers"))
        }
        return (0..<count).map { UInt16(reply[2 + 2 * $0]) << 8 | UInt16(reply[3 + 2 * $0]) }
    }

    /// FC5 / FC6: the reply echoes the request.
    func asciiWrite(_ code: ModbusFunctionCode, address: Int, count: Int, data: [UInt8]) throws(ModbusError) {
        let reply = try asciiRequest(code, address: address, count: count, data: data)
        guard reply == [code.rawValue] + Self.word(address) + data else {
            throw error(.request(code), address: address, count: count, cause: .invalidResponse("the reply does not echo the write"))
        }
    }

    func asciiWriteCoils(address: Int, values: [Bool]) throws(ModbusError) {
        var packed = [UInt8](repeating: 0, count: (values.count + 7) / 8)
        for (index, bit) in values.enumerated() where bit { packed[index / 8] |= 1 << UInt8(index % 8) }
        try asciiWriteMultiple(.writeMultipleCoils, address: address, count: values.count, payload: packed)
    }

    func asciiWriteRegisters(address: Int, values: [UInt16]) throws(ModbusError) {
        try asciiWriteMultiple(.writeMultipleRegisters, address: address, count: values.count,
                               payload: values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
    }

    /// FC15 / FC16: the reply repeats address and quantity.
    private func asciiWriteMultiple(_ code: ModbusFunctionCode, address: Int, count: Int, payload: [UInt8]) throws(ModbusError) {
        let reply = try asciiRequest(code, address: address, count: count, data: Self.word(count) + [UInt8(truncatingIfNeeded: payload.count)] + payload)
        guard reply == [code.rawValue] + Self.word(address) + Self.word(count) else {
            throw error(.request(code), address: address, count: count, cause: .invalidResponse("the reply does not confirm the write"))
        }
    }

    /// Validates as libmodbus would, sends `function address data`, returns the reply PDU
    /// (function code first); an exception reply is thrown as ``ModbusError/Cause/exception(_:)``.
    private func asciiRequest(_ code: ModbusFunctionCode, address: Int, count: Int, data: [UInt8]) throws(ModbusError) -> [UInt8] {
        let operation = ModbusError.Operation.request(code)
        guard (1...code.maxCount).contains(count) else {
            throw error(operation, address: address, count: count, cause: .invalidArgument("count must be 1...\(code.maxCount)"))
        }
        guard address >= 0, address + count <= 65536 else {
            throw error(operation, address: address, count: count, cause: .invalidArgument("addresses must lie in 0...65535"))
        }
        guard isConnected, let framed else { throw error(operation, address: address, count: count, cause: .notConnected) }
        let unit = UInt8(clamping: unitId ?? 0)
        let reply: [UInt8]
        do {
            reply = try framed.transact(unit: unit, pdu: [code.rawValue] + Self.word(address) + data, timeout: responseTimeout)
        } catch {
            if error.isConnectionLoss { close() }
            throw self.error(operation, address: address, count: count, cause: error)
        }
        if unit == 0, framed.unitZeroIsBroadcast { return [code.rawValue] }
        guard let function = reply.first else {
            throw error(operation, address: address, count: count, cause: .invalidResponse("an empty reply"))
        }
        // An exception reply; some slaves (pymodbus for an unknown unit) set only the high bit.
        if function & 0x80 != 0 {
            let exception = reply.count > 1 ? ModbusExceptionCode(rawValue: reply[1]) : nil
            throw error(operation, address: address, count: count,
                        cause: exception.map(ModbusError.Cause.exception) ?? .invalidResponse("an unknown exception"))
        }
        guard function == code.rawValue else {
            throw error(operation, address: address, count: count, cause: .invalidResponse("function \(function) in the reply"))
        }
        return reply
    }

    private static func word(_ value: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)] }
}
