#if LIBGPIOD_V2
import CGPIOD
import FoundationEssentials

/// Real GPIO chips through libgpiod 2.x (Debian 13 and Raspberry Pi OS 13 ship 2.2.1). It
/// takes the place of `GPIOBackendV1` when the build finds libgpiod 2.x.
///
/// What v2 adds over v1 and this backend uses: kernel debounce per line
/// (`gpiod_line_settings_set_debounce_period_us`) and the event clock per line
/// (`gpiod_line_settings_set_event_clock`). v2 has no chip iterator: chips are found by
/// listing `deviceDirectory` for entries that `gpiod_is_gpiochip_device` accepts.
public struct GPIOBackendV2: GPIOBackend {
    /// Where chip devices live: `/dev` (tests point it at the mock's folder).
    public let deviceDirectory: String

    public init(deviceDirectory: String = "/dev") {
        self.deviceDirectory = deviceDirectory
    }

    public var name: String { "libgpiod-v2" }

    public var supportsKernelDebounce: Bool { true }

    public func openChip(_ identifier: GPIOChipIdentifier) throws(GPIOError) -> any GPIOChipProtocol {
        switch identifier {
        case .name(let name): return try GPIOChipV2(path: "\(deviceDirectory)/\(name)", asked: name)
        case .path(let path): return try GPIOChipV2(path: path, asked: path)
        case .number(let number): return try GPIOChipV2(path: "\(deviceDirectory)/gpiochip\(number)", asked: "gpiochip\(number)")
        case .label(let label):
            for path in chipPaths() {
                guard let chip = try? GPIOChipV2(path: path, asked: path) else { continue }
                if chip.label == label { return chip }
            }
            throw GPIOError(
                kind: .chipNotFound, operation: "opening", chip: identifier.description,
                message: "no GPIO chip has that label")
        }
    }

    public func availableChips() -> [GPIOChipSummary] {
        chipPaths().compactMap { path in
            guard let chip = try? GPIOChipV2(path: path, asked: path) else { return nil }
            return GPIOChipSummary(name: chip.name, label: chip.label, lineCount: chip.lineCount, path: chip.path)
        }.sorted(by: GPIOChipSummary.byNumber)
    }

    /// The GPIO chip devices in `deviceDirectory` (`gpiod_is_gpiochip_device`).
    func chipPaths() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: deviceDirectory)) ?? []
        return entries.filter { $0.hasPrefix("gpiochip") }.sorted()
            .map { "\(deviceDirectory)/\($0)" }
            .filter { gpiod_is_gpiochip_device($0) }
    }
}
#endif
