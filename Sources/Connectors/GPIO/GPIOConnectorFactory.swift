import IronbridgeCore
import IronbridgeGPIO
import Logging

/// Builds GPIO connectors (`"type": "gpio"` in config.json) from connectors/gpio.json.
public struct GPIOConnectorFactory: ConnectorFactory {
    public let type = "gpio"
    /// The backend of devices with `"backend": "libgpiod"` (the default).
    public let libgpiod: any GPIOBackend

    public init(libgpiod: any GPIOBackend = LibgpiodBackend()) {
        self.libgpiod = libgpiod
    }

    public func makeConnector(name: String, configuration: ConfigNode, gateway: GatewayConfig, logger: Logger) -> (any Connector)? {
        guard let parsed = GPIOConnectorConfiguration.read(configuration) else { return nil }
        return GPIOConnector(name: name, configuration: parsed, libgpiod: libgpiod, logger: logger)
    }
}
