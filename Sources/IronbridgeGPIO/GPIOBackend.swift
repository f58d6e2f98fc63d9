/// A source of GPIO chips: libgpiod (`GPIOBackendV1` for libgpiod 1.x or `GPIOBackendV2` for
/// 2.x, whichever the build found; `LibgpiodBackend` names it) and the in-process simulator
/// (`SimulatedGPIOBackend`).
///
/// Consumers (the GPIO connector) hold `any GPIOBackend` and see chips and lines only
/// through `GPIOChipProtocol` and `GPIOLineProtocol`.
public protocol GPIOBackend: Sendable {
    /// A short name for logs and configuration: "libgpiod-v1", "libgpiod-v2", "simulated".
    var name: String { get }

    /// Whether lines can be requested with a kernel debounce period
    /// (`GPIOLineRequest.debounceMicroseconds`); where not, debounce in software.
    var supportsKernelDebounce: Bool { get }

    /// Opens a chip. Throws `GPIOError` with kind `.chipNotFound` when there is none.
    func openChip(_ identifier: GPIOChipIdentifier) throws(GPIOError) -> any GPIOChipProtocol

    /// The chips present now (like `gpiodetect`), sorted by number; chips that cannot be
    /// opened (no permission) are left out.
    func availableChips() -> [GPIOChipSummary]
}
