/// Coalesces the read items of ONE device into as few requests as possible.
///
/// Items of the same function code are sorted by address and merged greedily while the
/// merged request stays within the cap and the hole between an item and the request so
/// far is at most the gap (overlapping and duplicate items are fine; each keeps its own
/// slice). Greedy merging in address order gives the fewest requests for these rules.
///
/// Caps: 125 registers (FC3/4) and 2000 bits (FC1/2) are the protocol's limits; a
/// device can ask for less with `maxRegistersPerRequest` / `maxBitsPerRequest`.
/// Gaps: bridging a hole reads registers nobody asked for, which costs 2 bytes each but
/// saves a round trip (on RTU about 20 byte times of framing and silence, on TCP a whole
/// exchange). Defaults are 8 registers and 32 bits; set 0 for devices that answer
/// "illegal data address" for holes in their map.
public struct ModbusReadPlanner: Sendable, Hashable {
    public var maxRegistersPerRequest: Int
    public var maxBitsPerRequest: Int
    public var maxRegisterGap: Int
    public var maxBitGap: Int

    /// Caps are clamped to 1...125 registers and 1...2000 bits; gaps to 0 or more.
    public init(
        maxRegistersPerRequest: Int = 125, maxBitsPerRequest: Int = 2000,
        maxRegisterGap: Int = 8, maxBitGap: Int = 32
    ) {
        self.maxRegistersPerRequest = min(max(maxRegistersPerRequest, 1), 125)
        self.maxBitsPerRequest = min(max(maxBitsPerRequest, 1), 2000)
        self.maxRegisterGap = max(maxRegisterGap, 0)
        self.maxBitGap = max(maxBitGap, 0)
    }

    /// Objects one request may carry with `function`.
    public func cap(for function: ModbusReadFunction) -> Int {
        function.accessesBits ? maxBitsPerRequest : maxRegistersPerRequest
    }

    /// Largest hole bridged with `function`.
    public func gap(for function: ModbusReadFunction) -> Int {
        function.accessesBits ? maxBitGap : maxRegisterGap
    }

    /// Plans the requests for `items`.
    /// - Throws: ``ModbusPlanError/itemTooLarge(key:count:limit:)`` or
    ///   ``ModbusPlanError/invalidItem(key:address:count:)``, naming the key.
    public func plan(_ items: [ModbusReadItem]) throws(ModbusPlanError) -> ModbusReadPlan {
        for item in items {
            guard item.address >= 0, item.count >= 1, item.end <= 65536 else {
                throw .invalidItem(key: item.key, address: item.address, count: item.count)
            }
            guard item.count <= cap(for: item.function) else {
                throw .itemTooLarge(key: item.key, count: item.count, limit: cap(for: item.function))
            }
        }
        let order = items.indices.sorted { a, b in
            let (x, y) = (items[a], items[b])
            return (x.function, x.address, -x.count, a) < (y.function, y.address, -y.count, b)
        }
        var requests: [ModbusPlannedRequest] = []
        var requestIndexOfItem = [Int](repeating: 0, count: items.count)
        var current: (function: ModbusReadFunction, start: Int, end: Int, members: [Int])?

        func flush() {
            guard let open = current else { return }
            for member in open.members { requestIndexOfItem[member] = requests.count }
            requests.append(ModbusPlannedRequest(
                function: open.function, address: open.start, count: open.end - open.start,
                itemIndices: open.members))
            current = nil
        }

        for index in order {
            let item = items[index]
            if var open = current, open.function == item.function,
                item.address - open.end <= gap(for: item.function),
                max(open.end, item.end) - open.start <= cap(for: item.function)
            {
                open.end = max(open.end, item.end)
                open.members.append(index)
                current = open
            } else {
                flush()
                current = (item.function, item.address, item.end, [index])
            }
        }
        flush()
        return ModbusReadPlan(items: items, requests: requests, requestIndexOfItem: requestIndexOfItem)
    }
}
