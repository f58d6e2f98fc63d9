/// Real GPIO chips through libgpiod 1.6 (the v1 API shipped by Debian 12 and
/// Raspberry Pi OS 12). A libgpiod 2.x backend would sit beside it behind the same
/// protocols.
public struct GPIOBackendV1: GPIOBackend {
    public init() {}

    public var name: String { "libgpiod-v1" }

    public func openChip(_ identifier: GPIOChipIdentifier) throws(GPIOError) -> any GPIOChipProtocol {
        try GPIOChip(identifier)
    }
}
