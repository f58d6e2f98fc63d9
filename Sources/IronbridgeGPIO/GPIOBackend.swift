/// A source of GPIO chips: libgpiod v1 (`GPIOBackendV1`), the in-process simulator
/// (`SimulatedGPIOBackend`), and later libgpiod 2.x beside them.
///
/// Consumers (the GPIO connector) hold `any GPIOBackend` and see chips and lines only
/// through `GPIOChipProtocol` and `GPIOLineProtocol`.
public protocol GPIOBackend: Sendable {
    /// A short name for logs and configuration: "libgpiod-v1", "simulated".
    var name: String { get }

    /// Opens a chip. Throws `GPIOError` with kind `.chipNotFound` when there is none.
    func openChip(_ identifier: GPIOChipIdentifier) throws(GPIOError) -> any GPIOChipProtocol
}
