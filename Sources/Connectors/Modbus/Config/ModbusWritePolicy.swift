import IronbridgeCore
import IronbridgeModbus

/// Where the reserved `set` RPC may write on a device. By default only where the
/// configuration already writes (its `rpc` keys with function code 5, 6, 15 or 16, and its
/// `attributeUpdates`); `allowedWrites` in the connector file opens more, per device or for
/// the whole connector:
///
///     "allowedWrites": true
///     "allowedWrites": {"coils": [[0, 7]], "holdingRegisters": [[100, 119], 200]}
///
/// Reads through `get` are not restricted.
struct ModbusWritePolicy: Sendable, Equatable {
    enum Table: String, Sendable { case coils, holdingRegisters }

    var anyAddress = false
    var coils: [ClosedRange<Int>] = []
    var holdingRegisters: [ClosedRange<Int>] = []

    static let configuredOnly = ModbusWritePolicy()

    /// Reads `allowedWrites`; nil when the key is absent.
    static func read(_ node: ConfigNode) -> ModbusWritePolicy? {
        guard node.exists else { return nil }
        if let flag = node.value?.boolValue { return ModbusWritePolicy(anyAddress: flag) }
        guard node.value?.objectValue != nil else {
            node.error("expected true, false, or {\"coils\": [[first, last], ...], \"holdingRegisters\": [[first, last], address, ...]}")
            return nil
        }
        node.checkKeys(known: ["coils", "holdingRegisters"])
        return ModbusWritePolicy(coils: ranges(node["coils"]), holdingRegisters: ranges(node["holdingRegisters"]))
    }

    private static func ranges(_ node: ConfigNode) -> [ClosedRange<Int>] {
        node.arrayElements().compactMap { element in
            if let single = element.value?.intValue, (0...65535).contains(single) { return Int(single)...Int(single) }
            if let pair = element.value?.arrayValue, pair.count == 2, let first = pair[0].intValue, let last = pair[1].intValue,
               0 <= first, first <= last, last <= 65535 {
                return Int(first)...Int(last)
            }
            element.error("expected an address (0-65535) or [first, last] with first <= last")
            return nil
        }
    }

    /// The table a write function code writes.
    static func table(of code: ModbusFunctionCode) -> Table? {
        switch code {
        case .writeSingleCoil, .writeMultipleCoils: .coils
        case .writeSingleRegister, .writeMultipleRegisters: .holdingRegisters
        default: nil
        }
    }

    /// Adds what a configured write key covers.
    mutating func include(_ key: ModbusKeyConfig) {
        guard let table = Self.table(of: key.functionCode) else { return }
        let range = key.address...(key.address + max(1, key.objectCount) - 1)
        switch table {
        case .coils: coils.append(range)
        case .holdingRegisters: holdingRegisters.append(range)
        }
    }

    func allows(_ table: Table, _ range: ClosedRange<Int>) -> Bool {
        if anyAddress { return true }
        let allowed = table == .coils ? coils : holdingRegisters
        // Every address of the request must be inside one of the allowed ranges.
        return range.allSatisfy { address in allowed.contains { $0.contains(address) } }
    }
}
