import IronbridgeCore
import IronbridgeGPIO
import Logging

/// Builds GPIO connectors (`"type": "gpio"` in config.json) from connectors/gpio.json.
public struct GPIOConnectorFactory: ConnectorFactory {
    public let type = "gpio"
    /// The backend of devices with `"backend": "libgpiod"` (the default): libgpiod 1.x or 2.x,
    /// as the build found.
    public let libgpiod: any GPIOBackend

    public init(libgpiod: any GPIOBackend = LibgpiodBackend()) {
        self.libgpiod = libgpiod
    }

    public func makeConnector(name: String, configuration: ConfigNode, gateway: GatewayConfig, logger: Logger) -> (any Connector)? {
        guard let parsed = GPIOConnectorConfiguration.read(configuration) else { return nil }
        checkChips(parsed, configuration)
        return GPIOConnector(name: name, configuration: parsed, libgpiod: libgpiod, dataFolder: gateway.dataFolder, logger: logger)
    }

    /// A device naming a chip that cannot be opened gets a warning (with file and JSON path) that
    /// says which chips this machine has (`ironbridge check` prints it; the gateway logs it and
    /// keeps retrying the chip, which may appear later, e.g. a USB GPIO adapter).
    func checkChips(_ parsed: GPIOConnectorConfiguration, _ root: ConfigNode) {
        let nodes = root["devices"].arrayElements(required: false)
        var present: [GPIOChipSummary]?
        for (index, device) in parsed.devices.enumerated() where device.backend == .libgpiod && index < nodes.count {
            do {
                _ = try libgpiod.openChip(device.chipIdentifier)
            } catch {
                let chips = present ?? libgpiod.availableChips()
                present = chips
                let listed = chips.isEmpty
                    ? "this machine has no GPIO chip that \(libgpiod.name) can open (none in /dev, or no permission: see gpiodetect)"
                    : "chips present: \(chips.map(\.description).joined(separator: ", "))"
                var advice = ""
                if error.kind == .permissionDenied {
                    advice = "; add the service user to the 'gpio' group"
                }
                nodes[index]["chip"].warning("device '\(device.name)': \(error)\(advice); \(listed)")
            }
        }
    }
}
