/// ThingsBoard's Gateway MQTT API topics (see shared/design/platform-protocol.md).
public enum Topic {
    public static let connect = "v1/gateway/connect"
    public static let disconnect = "v1/gateway/disconnect"
    public static let telemetry = "v1/gateway/telemetry"
    public static let attributes = "v1/gateway/attributes"
    public static let attributesRequest = "v1/gateway/attributes/request"
    public static let attributesResponse = "v1/gateway/attributes/response"
    public static let rpc = "v1/gateway/rpc"

    public static let gatewayRPCRequestPrefix = "v1/devices/me/rpc/request/"
    public static let gatewayRPCResponsePrefix = "v1/devices/me/rpc/response/"
    public static let gatewayAttributes = "v1/devices/me/attributes"
    public static let gatewayTelemetry = "v1/devices/me/telemetry"
    public static let gatewayAttributesRequestPrefix = "v1/devices/me/attributes/request/"
    public static let gatewayAttributesResponsePrefix = "v1/devices/me/attributes/response/"
    /// Claiming (platform-protocol.md, thingsboard-gateway-ui.md §5.2): sub-devices, and the gateway itself.
    public static let claim = "v1/gateway/claim"
    public static let gatewayClaim = "v1/devices/me/claim"

    /// What the gateway subscribes to after every connect.
    public static let subscriptions = [
        rpc, attributes, attributesResponse,
        gatewayRPCRequestPrefix + "+", gatewayRPCResponsePrefix + "+", gatewayAttributes, gatewayAttributesResponsePrefix + "+",
    ]
}
