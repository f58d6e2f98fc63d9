import IronbridgeCore
import Logging

/// Builds ``ModbusConnector``s from Python-gateway-style `modbus.json` files
/// (`"type": "modbus"` in config.json's `connectors[]`).
public struct ModbusConnectorFactory: ConnectorFactory {
    public let type = "modbus"

    public init() {}

    public func makeConnector(name: String, configuration: ConfigNode, gateway: GatewayConfig, logger: Logger) -> (any Connector)? {
        makeModbusConnector(name: name, configuration: configuration, gatewayReportStrategy: gateway.reportStrategy, logger: logger)
    }

    /// The same, without a whole gateway configuration (tests, tools).
    public func makeModbusConnector(name: String, configuration: ConfigNode, gatewayReportStrategy: JSONValue? = nil,
                                    logger: Logger) -> ModbusConnector? {
        let gatewayNode = ConfigNode(value: gatewayReportStrategy, path: "$.thingsboard.reportStrategy", file: "config.json",
                                     diagnostics: configuration.diagnostics)
        let gatewayStrategy = ModbusReportStrategy.read(gatewayNode) ?? .onReceived
        guard let read = ModbusConfigReader.readAll(configuration, gatewayStrategy: gatewayStrategy) else { return nil }
        return ModbusConnector(name: name, devices: read.devices, slave: read.slave,
                               configurationId: configuration["id"].value?.stringValue, logger: logger)
    }
}
