/// Routes an RPC sent to the gateway itself to its connectors when the method's prefix
/// names a connector type, as the Python gateway does (`modbus_get` goes to the Modbus
/// connectors): `<type>_<name>`, `gateway_*` excepted. Each connector of that type may
/// decline (params with another connector's `connectorId`, or a method it does not know).
enum ConnectorRPCRouter {
    /// The reply, or nil when no connector has the method's type (the caller answers 404).
    static func route(method: String, params: JSONValue, to connectors: [any Connector]) async -> JSONValue? {
        guard let underscore = method.firstIndex(of: "_") else { return nil }
        let type = method[..<underscore].lowercased()
        guard type != "gateway" else { return nil }
        let candidates = connectors.filter { $0.type.lowercased() == type }
        guard !candidates.isEmpty else { return nil }
        var replies: [JSONValue] = []
        for connector in candidates {
            if let reply = await connector.handleConnectorRPC(method: method, params: params) { replies.append(reply) }
        }
        switch replies.count {
        case 0:
            let which = params["connectorId"]?.stringValue.map { " with connectorId '\(PlatformText.clip($0))'" }
                ?? params["connectorName"]?.stringValue.map { " named '\(PlatformText.clip($0))'" } ?? ""
            return ["error": .string("no \(type) connector\(which) answers '\(PlatformText.clip(method))'"), "code": 404]
        case 1:
            return replies[0]
        default:
            // Several connectors: their lists joined, in the order of the configuration.
            return .array(replies.flatMap { $0.arrayValue ?? [$0] })
        }
    }
}
