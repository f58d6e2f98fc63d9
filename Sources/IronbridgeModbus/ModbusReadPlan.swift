/// The requests that read a device's items, and how to cut each item's data out of
/// their results. Made by ``ModbusReadPlanner``.
public struct ModbusReadPlan: Sendable, Hashable {
    /// The items, in the order given to the planner.
    public let items: [ModbusReadItem]
    /// The requests, ordered by function code, then address.
    public let requests: [ModbusPlannedRequest]
    /// For each item: the request covering it.
    public let requestIndexOfItem: [Int]

    /// Maps request results back to items.
    /// - Parameter results: one entry per request, in ``requests`` order; nil for a
    ///   request that failed, whose items then get nil too.
    /// - Returns: one entry per item, in ``items`` order.
    /// - Throws: ``ModbusPlanError/resultMismatch(requestIndex:expected:got:)`` when a
    ///   result is of the wrong kind or length, or `results` has the wrong count.
    public func itemResults(_ results: [ModbusReadResult?]) throws(ModbusPlanError) -> [ModbusReadResult?] {
        try check(results)
        return items.indices.map { itemIndex in
            let requestIndex = requestIndexOfItem[itemIndex]
            return results[requestIndex].map { slice(of: $0, for: itemIndex, in: requests[requestIndex]) }
        }
    }

    /// Checks `results` as ``itemResults(_:)`` does, then calls `body` with each item's index
    /// and its registers or bits as slices of the results (no copies: the poll path). Items of a
    /// failed request are skipped.
    public func forEachItem(
        in results: [ModbusReadResult?], _ body: (Int, ModbusItemData) throws -> Void
    ) throws(ModbusPlanError) {
        try check(results)
        for itemIndex in items.indices {
            let requestIndex = requestIndexOfItem[itemIndex]
            guard let result = results[requestIndex] else { continue }
            let item = items[itemIndex]
            let request = requests[requestIndex]
            let range = (item.address - request.address)..<(item.end - request.address)
            switch result {
            case .bits(let bits): try? body(itemIndex, .bits(bits[range]))
            case .registers(let registers): try? body(itemIndex, .registers(registers[range]))
            }
        }
    }

    /// One result per request, each of the request's kind and length (nil: the request failed).
    private func check(_ results: [ModbusReadResult?]) throws(ModbusPlanError) {
        guard results.count == requests.count else {
            throw .resultMismatch(requestIndex: min(results.count, requests.count), expected: requests.count, got: results.count)
        }
        for (index, (request, result)) in zip(requests, results).enumerated() {
            guard let result else { continue }
            let kindMatches: Bool
            if case .bits = result { kindMatches = request.function.accessesBits } else { kindMatches = !request.function.accessesBits }
            guard kindMatches, result.count == request.count else {
                throw .resultMismatch(requestIndex: index, expected: request.count, got: result.count)
            }
        }
    }

    private func slice(of result: ModbusReadResult, for itemIndex: Int, in request: ModbusPlannedRequest) -> ModbusReadResult {
        let item = items[itemIndex]
        let range = (item.address - request.address)..<(item.end - request.address)
        switch result {
        case .bits(let bits): return .bits(Array(bits[range]))
        case .registers(let registers): return .registers(Array(registers[range]))
        }
    }
}

/// One item's share of a poll's results, as slices of them.
public enum ModbusItemData {
    case bits(ArraySlice<Bool>)
    case registers(ArraySlice<UInt16>)
}
