/// A chip present on the machine, as `gpiodetect` lists it: `gpiochip0 [pinctrl-bcm2711] (58 lines)`.
public struct GPIOChipSummary: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var label: String
    public var lineCount: Int
    public var path: String

    public init(name: String, label: String, lineCount: Int, path: String) {
        self.name = name
        self.label = label
        self.lineCount = lineCount
        self.path = path
    }

    public var description: String { "\(name) [\(label)] (\(lineCount) lines)" }

    /// Sorts `gpiochip2` before `gpiochip10`.
    static func byNumber(_ a: GPIOChipSummary, _ b: GPIOChipSummary) -> Bool {
        let number = { (name: String) in Int(name.drop { !$0.isNumber }) ?? Int.max }
        return (number(a.name), a.name) < (number(b.name), b.name)
    }
}
