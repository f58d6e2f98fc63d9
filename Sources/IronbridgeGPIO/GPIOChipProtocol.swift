/// An open GPIO chip. It stays open while the caller or any line requested from it holds
/// a reference. Methods are thread-safe.
public protocol GPIOChipProtocol: AnyObject, Sendable {
    /// The kernel name, e.g. `gpiochip0`.
    var name: String { get }
    /// The driver's label, e.g. `pinctrl-bcm2711`.
    var label: String { get }
    /// The device path, e.g. `/dev/gpiochip0`.
    var path: String { get }
    /// The number of lines (valid offsets are `0..<lineCount`).
    var lineCount: Int { get }

    /// The current state of one line, whoever holds it.
    func lineInfo(offset: UInt32) throws(GPIOError) -> GPIOLineInfo

    /// The offset of the line with this name (`GPIO17`); kind `.lineNotFound` if none.
    func findLine(named name: String) throws(GPIOError) -> UInt32

    /// Requests a line for exclusive use. Kind `.busy` if another consumer holds it.
    func requestLine(offset: UInt32, _ request: GPIOLineRequest) throws(GPIOError) -> any GPIOLineProtocol
}

extension GPIOChipProtocol {
    /// Requests the line with this name (see `findLine(named:)`).
    public func requestLine(named name: String, _ request: GPIOLineRequest) throws(GPIOError) -> any GPIOLineProtocol {
        try requestLine(offset: try findLine(named: name), request)
    }

    /// All lines' current state.
    public func allLineInfo() throws(GPIOError) -> [GPIOLineInfo] {
        var result: [GPIOLineInfo] = []
        result.reserveCapacity(lineCount)
        for offset in 0..<UInt32(lineCount) {
            result.append(try lineInfo(offset: offset))
        }
        return result
    }
}
