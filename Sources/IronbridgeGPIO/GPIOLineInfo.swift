/// What the chip reports about a line, requested or not (like `gpioinfo`).
public struct GPIOLineInfo: Sendable, Hashable {
    public enum Direction: String, Sendable, Hashable {
        case input
        case output
    }

    public var offset: UInt32
    public var name: String?
    /// Who holds the line, if anyone (this process or another).
    public var consumer: String?
    /// Whether the line is in use by some consumer (or the kernel).
    public var isUsed: Bool
    public var direction: Direction
    public var activeLow: Bool
    public var bias: GPIOBias
    public var drive: GPIODrive

    public init(
        offset: UInt32, name: String?, consumer: String?, isUsed: Bool, direction: Direction,
        activeLow: Bool, bias: GPIOBias, drive: GPIODrive
    ) {
        self.offset = offset
        self.name = name
        self.consumer = consumer
        self.isUsed = isUsed
        self.direction = direction
        self.activeLow = activeLow
        self.bias = bias
        self.drive = drive
    }
}
