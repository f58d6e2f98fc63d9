import Testing
@testable import IronbridgeCore

@Suite("sequence sets")
struct SequenceSetTests {
    @Test("merges touching and overlapping ranges, in any insertion order")
    func merging() {
        var set = SequenceSet()
        for value: UInt64 in [5, 1, 3, 2, 9, 4, 10, 8] { set.insert(value) }
        #expect(set.ranges == [1...5, 8...10])
        set.insert(6...7)
        #expect(set.ranges == [1...10])
        #expect(set.count == 10)
    }

    @Test("counts within a range, finds gaps, forgets what lies below a floor")
    func queries() {
        var set = SequenceSet([1, 2, 3, 7, 8, 20])
        #expect(set.count(in: 2..<8) == 3)
        #expect(set.firstGap(atOrAbove: 1) == 4)
        #expect(set.firstGap(atOrAbove: 5) == 5)
        #expect(set.contains(8) && !set.contains(9))
        set.removeAll(below: 8)
        #expect(set.ranges == [8...8, 20...20])
    }
}
