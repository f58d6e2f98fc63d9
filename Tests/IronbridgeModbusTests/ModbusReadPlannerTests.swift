import Testing
@testable import IronbridgeModbus

@Suite("Read planner")
struct ModbusReadPlannerTests {
    private func item(_ key: String, _ function: ModbusReadFunction, _ address: Int, _ count: Int = 1) -> ModbusReadItem {
        ModbusReadItem(key: key, function: function, address: address, count: count)
    }

    /// A holding-register item.
    private func item(_ key: String, _ address: Int, _ count: Int = 1) -> ModbusReadItem {
        item(key, .holdingRegisters, address, count)
    }

    private func shape(_ plan: ModbusReadPlan) -> [String] {
        plan.requests.map { "\($0.function.rawValue):\($0.address)+\($0.count)" }
    }

    @Test("contiguous registers of one function code become one request")
    func contiguous() throws {
        let plan = try ModbusReadPlanner().plan([item("a", 0), item("b", 1, 2), item("c", 3, 4)])
        #expect(shape(plan) == ["3:0+7"])
        #expect(plan.requests[0].itemIndices == [0, 1, 2])
    }

    @Test("gaps up to maxGap are bridged, larger gaps split")
    func gaps() throws {
        let planner = ModbusReadPlanner(maxRegisterGap: 4, maxBitGap: 2)
        #expect(shape(try planner.plan([item("a", 0), item("b", 5)])) == ["3:0+6"])
        #expect(shape(try planner.plan([item("a", 0), item("b", 6)])) == ["3:0+1", "3:6+1"])
        #expect(shape(try planner.plan([item("a", .coils, 0), item("b", .coils, 3)])) == ["1:0+4"])
        #expect(shape(try planner.plan([item("a", .coils, 0), item("b", .coils, 4)])) == ["1:0+1", "1:4+1"])
        #expect(shape(try ModbusReadPlanner(maxRegisterGap: 0).plan([item("a", 0), item("b", 2)])) == ["3:0+1", "3:2+1"])
        #expect(shape(try ModbusReadPlanner(maxRegisterGap: 0).plan([item("a", 0), item("b", 1)])) == ["3:0+2"])
    }

    @Test("default gaps are 8 registers and 32 bits")
    func defaultGaps() throws {
        #expect(shape(try ModbusReadPlanner().plan([item("a", 0), item("b", 9), item("c", 19)])) == ["3:0+10", "3:19+1"])
        #expect(shape(try ModbusReadPlanner().plan([item("a", .discreteInputs, 0), item("b", .discreteInputs, 33)]))
            == ["2:0+34"])
    }

    @Test("function codes are never mixed, and requests come out ordered by code and address")
    func functionCodes() throws {
        let plan = try ModbusReadPlanner().plan([
            item("ir", .inputRegisters, 0), item("hr", .holdingRegisters, 0), item("co", .coils, 0),
            item("di", .discreteInputs, 0), item("hr2", .holdingRegisters, 1),
        ])
        #expect(shape(plan) == ["1:0+1", "2:0+1", "3:0+2", "4:0+1"])
        #expect(plan.requestIndexOfItem == [3, 2, 0, 1, 2])
    }

    @Test("overlapping and duplicate items share a request and keep their own slices")
    func overlaps() throws {
        let plan = try ModbusReadPlanner().plan([item("wide", 10, 4), item("inner", 11, 2), item("same", 10, 4)])
        #expect(shape(plan) == ["3:10+4"])
        let results = try plan.itemResults([.registers([100, 101, 102, 103])])
        #expect(results == [.registers([100, 101, 102, 103]), .registers([101, 102]), .registers([100, 101, 102, 103])])
    }

    @Test("requests never exceed the protocol cap or the device's smaller cap")
    func caps() throws {
        let registers = (0..<130).map { item("r\($0)", $0) }
        #expect(shape(try ModbusReadPlanner().plan(registers)) == ["3:0+125", "3:125+5"])
        #expect(shape(try ModbusReadPlanner(maxRegistersPerRequest: 50).plan(registers)) == ["3:0+50", "3:50+50", "3:100+30"])
        let bits = [item("a", .coils, 0, 1500), item("b", .coils, 1500, 600)]
        #expect(shape(try ModbusReadPlanner().plan(bits)) == ["1:0+1500", "1:1500+600"])
        #expect(shape(try ModbusReadPlanner(maxRegistersPerRequest: 500, maxBitsPerRequest: 9000).plan(
            [item("a", 0, 125), item("b", .coils, 0, 2000)])) == ["1:0+2000", "3:0+125"])
    }

    @Test("an item larger than the cap is an error naming its key")
    func tooLarge() throws {
        let error = #expect(throws: ModbusPlanError.self) {
            try ModbusReadPlanner(maxRegistersPerRequest: 10).plan([item("ok", 0), item("serial", 20, 11)])
        }
        #expect(error == .itemTooLarge(key: "serial", count: 11, limit: 10))
        #expect(error?.description == "key \"serial\" reads 11 objects, more than the 10 one request may carry")
        #expect(throws: ModbusPlanError.itemTooLarge(key: "c", count: 2001, limit: 2000)) {
            try ModbusReadPlanner().plan([item("c", .coils, 0, 2001)])
        }
    }

    @Test("invalid addresses and counts are errors naming the key")
    func invalid() throws {
        #expect(throws: ModbusPlanError.invalidItem(key: "neg", address: -1, count: 1)) {
            try ModbusReadPlanner().plan([item("neg", -1)])
        }
        #expect(throws: ModbusPlanError.invalidItem(key: "zero", address: 0, count: 0)) {
            try ModbusReadPlanner().plan([item("zero", 0, 0)])
        }
        #expect(throws: ModbusPlanError.invalidItem(key: "end", address: 65535, count: 2)) {
            try ModbusReadPlanner().plan([item("end", 65535, 2)])
        }
        #expect(try ModbusReadPlanner().plan([]).requests.isEmpty)
    }

    @Test("a failed request leaves its items without data; wrong results are rejected")
    func resultMapping() throws {
        let plan = try ModbusReadPlanner().plan([item("a", 0), item("b", 100), item("c", .coils, 3, 2)])
        #expect(shape(plan) == ["1:3+2", "3:0+1", "3:100+1"])
        let results = try plan.itemResults([.bits([true, false]), nil, .registers([7])])
        #expect(results == [nil, .registers([7]), .bits([true, false])])
        #expect(throws: ModbusPlanError.resultMismatch(requestIndex: 2, expected: 1, got: 2)) {
            try plan.itemResults([.bits([true, false]), nil, .registers([7, 8])])
        }
        #expect(throws: ModbusPlanError.resultMismatch(requestIndex: 0, expected: 2, got: 2)) {
            try plan.itemResults([.registers([1, 2]), nil, nil])
        }
        #expect(throws: ModbusPlanError.resultMismatch(requestIndex: 1, expected: 3, got: 1)) {
            try plan.itemResults([nil])
        }
    }

    /// Deterministic pseudo-random numbers (SplitMix64) so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("random plans respect caps and gaps, cover every item, and slice results exactly", arguments: 0..<40)
    func randomPlans(seed: Int) throws {
        var random = SplitMix(state: UInt64(seed))
        let planner = ModbusReadPlanner(
            maxRegistersPerRequest: Int.random(in: 4...125, using: &random),
            maxBitsPerRequest: Int.random(in: 8...2000, using: &random),
            maxRegisterGap: Int.random(in: 0...10, using: &random), maxBitGap: Int.random(in: 0...40, using: &random))
        let items = (0..<Int.random(in: 1...60, using: &random)).map { index in
            let function = ModbusReadFunction.allCases.randomElement(using: &random)!
            let count = Int.random(in: 1...min(6, planner.cap(for: function)), using: &random)
            return item("k\(index)", function, Int.random(in: 0...300, using: &random), count)
        }
        let plan = try planner.plan(items)
        // Fake device memory: every object's value is derived from its address.
        func memory(_ request: ModbusPlannedRequest) -> ModbusReadResult {
            let addresses = request.address..<(request.address + request.count)
            return request.function.accessesBits
                ? .bits(addresses.map { $0 % 3 == 0 }) : .registers(addresses.map { UInt16($0 * 7 % 65536) })
        }
        let results = try plan.itemResults(plan.requests.map(memory))
        for (index, item) in items.enumerated() {
            let request = plan.requests[plan.requestIndexOfItem[index]]
            #expect(request.function == item.function && request.itemIndices.contains(index))
            #expect(request.address <= item.address && item.end <= request.address + request.count)
            let expected = memory(ModbusPlannedRequest(function: item.function, address: item.address, count: item.count, itemIndices: []))
            #expect(results[index] == expected)
        }
        for request in plan.requests {
            #expect(request.count <= planner.cap(for: request.function))
            // Every object of the request is covered by an item, or lies in a hole no wider than the gap.
            let members = request.itemIndices.map { items[$0] }.sorted { $0.address < $1.address }
            var covered = request.address
            for member in members {
                #expect(member.address - covered <= planner.gap(for: request.function))
                covered = max(covered, member.end)
            }
            #expect(covered == request.address + request.count)
        }
        #expect(Set(plan.requests.flatMap(\.itemIndices)) == Set(items.indices))
        // Greedy is minimal: consecutive requests of one function could not have been merged.
        for (first, second) in zip(plan.requests, plan.requests.dropFirst()) where first.function == second.function {
            let gap = second.address - (first.address + first.count)
            let merged = second.address + second.count - first.address
            #expect(gap > planner.gap(for: first.function) || merged > planner.cap(for: first.function) || gap < 0)
        }
    }
}
