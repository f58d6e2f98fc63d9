/// How to find a chip: by name (`gpiochip0`), device path (`/dev/gpiochip0`), number (`0`)
/// or label (`pinctrl-bcm2711`).
public enum GPIOChipIdentifier: Sendable, Hashable, CustomStringConvertible {
    case name(String)
    case path(String)
    case number(UInt32)
    case label(String)

    /// Reads a configuration string: a path starts with `/`, a name with `gpiochip`,
    /// a number is all digits, anything else is a label.
    public init(parsing text: String) {
        if text.hasPrefix("/") {
            self = .path(text)
        } else if text.hasPrefix("gpiochip"), UInt32(text.dropFirst("gpiochip".count)) != nil {
            self = .name(text)
        } else if let number = UInt32(text) {
            self = .number(number)
        } else {
            self = .label(text)
        }
    }

    /// How the chip is named in errors before it is open.
    public var description: String {
        switch self {
        case .name(let name): name
        case .path(let path): path
        case .number(let number): "gpiochip\(number)"
        case .label(let label): "with label \"\(label)\""
        }
    }
}
