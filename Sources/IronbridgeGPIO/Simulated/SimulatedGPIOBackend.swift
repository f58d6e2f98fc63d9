#if canImport(Glibc)
import Glibc
#endif

/// GPIO without hardware: serves the `SimulatedGPIOChip`s it was given (the gateway's
/// `"backend": "simulated"`). Opening a chip returns the same instance every time, so
/// a line requested through one open is busy for the next, as with a real chip.
public struct SimulatedGPIOBackend: GPIOBackend {
    public let chips: [SimulatedGPIOChip]

    public init(chips: [SimulatedGPIOChip]) {
        self.chips = chips
    }

    public var name: String { "simulated" }

    /// Simulated inputs are debounced in software, like libgpiod 1.x.
    public var supportsKernelDebounce: Bool { false }

    public func availableChips() -> [GPIOChipSummary] {
        chips.filter { !$0.isGone }
            .map { GPIOChipSummary(name: $0.name, label: $0.label, lineCount: $0.lineCount, path: $0.path) }
            .sorted(by: GPIOChipSummary.byNumber)
    }

    public func openChip(_ identifier: GPIOChipIdentifier) throws(GPIOError) -> any GPIOChipProtocol {
        let match = chips.first { chip in
            switch identifier {
            case .name(let name): chip.name == name
            case .path(let path): chip.path == path
            case .number(let number): chip.name == "gpiochip\(number)"
            case .label(let label): chip.label == label
            }
        }
        guard let match, !match.isGone else {
            throw GPIOError(
                kind: .chipNotFound, operation: "opening", chip: identifier.description, errno: ENOENT)
        }
        return match
    }
}
