import CModbus

/// Everything the serving thread and the Swift accessors share; it lives inside the
/// server's `Mutex`, and owns the `modbus_mapping_t` (freed when the state goes away).
///
/// `@unchecked Sendable`: the only non-Sendable member is the mapping pointer, which
/// this non-copyable value owns alone; the value lives inside `ModbusServerStore`'s
/// `Mutex`, so the pointer and the tables behind it are only used under that lock.
struct ModbusServerState: ~Copyable, @unchecked Sendable {
    let mapping: UnsafeMutablePointer<modbus_mapping_t>
    var requestCounts: [ModbusFunctionCode: Int] = [:]
    var faults: [ModbusServerFault] = []

    /// `modbus_mapping_new`; nil when the allocation fails.
    init?(_ configuration: ModbusServer.Configuration) {
        guard
            let mapping = modbus_mapping_new(
                Int32(configuration.coils), Int32(configuration.discreteInputs),
                Int32(configuration.holdingRegisters), Int32(configuration.inputRegisters))
        else { return nil }
        self.mapping = mapping
    }

    deinit { modbus_mapping_free(mapping) }

    /// Records a request and returns the fault that applies to it, if any.
    mutating func admit(_ code: ModbusFunctionCode, addresses: ClosedRange<Int>) -> ModbusServerFault.Behavior? {
        requestCounts[code, default: 0] += 1
        return faults.last { $0.matches(code, addresses: addresses) }?.behavior
    }

    func bits(_ table: ModbusServer.BitTable) -> UnsafeMutableBufferPointer<UInt8> {
        switch table {
        case .coils: UnsafeMutableBufferPointer(start: mapping.pointee.tab_bits, count: Int(mapping.pointee.nb_bits))
        case .discreteInputs:
            UnsafeMutableBufferPointer(start: mapping.pointee.tab_input_bits, count: Int(mapping.pointee.nb_input_bits))
        }
    }

    func registers(_ table: ModbusServer.RegisterTable) -> UnsafeMutableBufferPointer<UInt16> {
        switch table {
        case .holding:
            UnsafeMutableBufferPointer(start: mapping.pointee.tab_registers, count: Int(mapping.pointee.nb_registers))
        case .input:
            UnsafeMutableBufferPointer(
                start: mapping.pointee.tab_input_registers, count: Int(mapping.pointee.nb_input_registers))
        }
    }
}
