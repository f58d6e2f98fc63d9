/// One configured key to read from a device: `count` bits (FC1/2) or registers (FC3/4)
/// starting at `address`.
public struct ModbusReadItem: Sendable, Hashable {
    public var key: String
    public var function: ModbusReadFunction
    public var address: Int
    public var count: Int

    public init(key: String, function: ModbusReadFunction, address: Int, count: Int) {
        self.key = key
        self.function = function
        self.address = address
        self.count = count
    }

    /// One past the last address.
    var end: Int { address + count }
}

/// One request of a ``ModbusReadPlan``, covering one or more items.
public struct ModbusPlannedRequest: Sendable, Hashable {
    public let function: ModbusReadFunction
    public let address: Int
    public let count: Int
    /// Indices into ``ModbusReadPlan/items`` of the items this request covers.
    public let itemIndices: [Int]
}

/// Why items could not be planned, or results not mapped back.
public enum ModbusPlanError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An item needs more objects than one request may carry.
    case itemTooLarge(key: String, count: Int, limit: Int)
    /// An item with a negative address, a count below 1, or addresses past 65535.
    case invalidItem(key: String, address: Int, count: Int)
    /// `results` does not line up with the plan's requests.
    case resultMismatch(requestIndex: Int, expected: Int, got: Int)

    public var description: String {
        switch self {
        case .itemTooLarge(let key, let count, let limit):
            "key \"\(key)\" reads \(count) objects, more than the \(limit) one request may carry"
        case .invalidItem(let key, let address, let count):
            "key \"\(key)\" has invalid address \(address) / count \(count) (addresses must lie in 0...65535)"
        case .resultMismatch(let index, let expected, let got):
            "result of request \(index) holds \(got) objects of the wrong kind or count, expected \(expected)"
        }
    }
}
