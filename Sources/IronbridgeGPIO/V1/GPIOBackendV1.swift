#if !LIBGPIOD_V2
import CGPIOD

/// Real GPIO chips through libgpiod 1.6 (the v1 API shipped by Debian 12 and Raspberry Pi
/// OS 12). `GPIOBackendV2` takes its place when the build finds libgpiod 2.x.
///
/// The v1 API has no kernel debounce and no choice of event clock: inputs are debounced in
/// software by the caller, and timestamps use the kernel's default clock.
public struct GPIOBackendV1: GPIOBackend {
    public init() {}

    public var name: String { "libgpiod-v1" }

    public var supportsKernelDebounce: Bool { false }

    public func openChip(_ identifier: GPIOChipIdentifier) throws(GPIOError) -> any GPIOChipProtocol {
        try GPIOChip(identifier)
    }

    /// Every chip the library's iterator opens (`gpiod_chip_iter_*` over /dev/gpiochip*).
    public func availableChips() -> [GPIOChipSummary] {
        guard let iterator = gpiod_chip_iter_new() else { return [] }
        var chips: [GPIOChipSummary] = []
        while let chip = gpiod_chip_iter_next_noclose(iterator) {
            let name = SystemCall.string(gpiod_chip_name(chip)) ?? "?"
            chips.append(GPIOChipSummary(
                name: name, label: SystemCall.string(gpiod_chip_label(chip)) ?? "",
                lineCount: Int(gpiod_chip_num_lines(chip)), path: "/dev/\(name)"))
            gpiod_chip_close(chip)
        }
        gpiod_chip_iter_free_noclose(iterator)
        return chips.sorted(by: GPIOChipSummary.byNumber)
    }
}
#endif
