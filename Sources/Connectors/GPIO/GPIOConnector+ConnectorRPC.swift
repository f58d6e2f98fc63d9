import IronbridgeCore

/// `gpio_get` / `gpio_set` sent to the gateway itself (not to a device): the GPIO counterparts
/// of the Modbus connector's `modbus_get` / `modbus_set`. Params: `pin` (offset, chip line
/// name or key) and, for `gpio_set`, `value` (and `durationMs`); `device` picks one device,
/// `connectorName` one connector (`connectorId` is accepted and, as a GPIO file has no id,
/// answered by every GPIO connector). They run as `getGpio` / `setGpio` on each device of the
/// connector that has that pin, with the same checks as those RPCs (only outputs are set),
/// and the reply is a list: `{"result": {"pin": 23, "value": 1}, "device_name": name}` or
/// `{"error": text, "device_name": name}`.
extension GPIOConnector {
    static let connectorRPCRouting: Set<String> = ["connectorId", "connectorName", "device"]

    public func handleConnectorRPC(method: String, params: JSONValue) async -> JSONValue? {
        let lowered = method.lowercased()
        guard lowered == "gpio_get" || lowered == "gpio_set" else { return nil }
        let params = params.unwrappingJSONString
        let members = params.objectValue ?? [:]
        if let wanted = members["connectorName"]?.stringValue, wanted != name { return nil }
        guard params.objectValue != nil, let pin = members["pin"] else {
            let example = lowered == "gpio_set" ? #"{"pin": 23, "value": 1}"# : #"{"pin": 23}"#
            return .array([["error": .string("\(method): params must be an object like \(example)"), "success": false]])
        }
        let wantedDevice = members["device"]?.stringValue
        let deviceCall = lowered == "gpio_get" ? "getGpio" : "setGpio"
        let callParams = JSONValue.object(members.filter { !Self.connectorRPCRouting.contains($0.key) })
        var replies: [JSONValue] = []
        for device in configuration.devices.map(\.name) where wantedDevice == nil || wantedDevice == device {
            guard let entry = deviceTable[device], case .success = resolve(entry, pin: pin) else { continue }
            let reply = await handleRPC(RPCCall(device: device, id: 0, method: deviceCall, params: callParams))
            if let error = reply["result"]?["error"] ?? reply["error"] {
                replies.append(["error": error, "device_name": .string(device)])
            } else {
                replies.append(["result": reply, "device_name": .string(device)])
            }
        }
        if replies.isEmpty {
            let scope = wantedDevice.map { "device '\(PlatformText.clip($0))' of " } ?? "no device of "
            let text = wantedDevice == nil
                ? "\(method): no device of GPIO connector '\(name)' has pin \(PlatformText.clip(pin))"
                : "\(method): \(scope)GPIO connector '\(name)' does not exist or has no pin \(PlatformText.clip(pin))"
            return .array([["error": .string(text), "success": false]])
        }
        return .array(replies)
    }
}
