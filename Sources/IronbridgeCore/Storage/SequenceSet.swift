/// A set of store sequence numbers kept as sorted, disjoint, non-adjacent closed ranges.
/// Batches carry the sequences they hold in one; the store keeps what was released in one.
public struct SequenceSet: Sendable, Equatable {
    public private(set) var ranges: [ClosedRange<UInt64>] = []

    public init() {}

    public init(_ sequences: some Sequence<UInt64>) {
        for sequence in sequences { insert(sequence) }
    }

    public var isEmpty: Bool { ranges.isEmpty }

    /// How many sequences the set holds.
    public var count: UInt64 { ranges.reduce(0) { $0 + ($1.upperBound - $1.lowerBound + 1) } }

    public var min: UInt64? { ranges.first?.lowerBound }
    public var max: UInt64? { ranges.last?.upperBound }

    public func contains(_ sequence: UInt64) -> Bool {
        guard let index = lastIndex(startingAtOrBelow: sequence) else { return false }
        return ranges[index].contains(sequence)
    }

    public mutating func insert(_ sequence: UInt64) { insert(sequence...sequence) }

    public mutating func insert(_ range: ClosedRange<UInt64>) {
        // Fast path: appending after the last range (the common case: ascending inserts).
        if let last = ranges.last, range.lowerBound > last.upperBound {
            if range.lowerBound == last.upperBound &+ 1 {
                ranges[ranges.count - 1] = last.lowerBound...range.upperBound
            } else {
                ranges.append(range)
            }
            return
        }
        if ranges.isEmpty { ranges.append(range); return }
        var lower = range.lowerBound, upper = range.upperBound
        // Every range that overlaps or touches [lower, upper] is merged into it.
        var first = ranges.count, last = -1
        for (index, existing) in ranges.enumerated() {
            let touches = existing.upperBound &+ 1 >= lower && existing.lowerBound <= upper &+ 1
            if touches {
                first = Swift.min(first, index); last = Swift.max(last, index)
                lower = Swift.min(lower, existing.lowerBound); upper = Swift.max(upper, existing.upperBound)
            } else if existing.lowerBound > upper { break }
        }
        if last >= first {
            ranges.replaceSubrange(first...last, with: [lower...upper])
        } else {
            let position = ranges.firstIndex { $0.lowerBound > upper } ?? ranges.count
            ranges.insert(lower...upper, at: position)
        }
    }

    public mutating func formUnion(_ other: SequenceSet) {
        for range in other.ranges { insert(range) }
    }

    /// Removes every sequence below `floor`.
    public mutating func removeAll(below floor: UInt64) {
        while let first = ranges.first, first.lowerBound < floor {
            if first.upperBound < floor {
                ranges.removeFirst()
            } else {
                ranges[0] = floor...first.upperBound
            }
        }
    }

    /// How many sequences of `range` the set holds.
    public func count(in range: Range<UInt64>) -> UInt64 {
        guard !range.isEmpty else { return 0 }
        var total: UInt64 = 0
        for existing in ranges {
            if existing.lowerBound >= range.upperBound { break }
            let lower = Swift.max(existing.lowerBound, range.lowerBound)
            let upper = Swift.min(existing.upperBound, range.upperBound - 1)
            if lower <= upper { total += upper - lower + 1 }
        }
        return total
    }

    /// The smallest sequence at or above `sequence` that the set does not hold.
    public func firstGap(atOrAbove sequence: UInt64) -> UInt64 {
        guard let index = lastIndex(startingAtOrBelow: sequence), ranges[index].contains(sequence) else { return sequence }
        return ranges[index].upperBound &+ 1
    }

    private func lastIndex(startingAtOrBelow sequence: UInt64) -> Int? {
        var low = 0, high = ranges.count - 1, found: Int?
        while low <= high {
            let middle = (low + high) / 2
            if ranges[middle].lowerBound <= sequence {
                found = middle
                low = middle + 1
            } else {
                high = middle - 1
            }
        }
        return found
    }
}
