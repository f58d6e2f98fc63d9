import IronbridgeCore
import IronbridgeModbus
import IronbridgeSystem

/// Why an RPC or attribute write failed, as the text sent back to the platform.
struct ModbusRPCFailure: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}

/// The reserved `get` / `set` methods: params `type=16int;functionCode=3;objectsCount=1;address=0;`
/// (and `value=..;` for `set`), as a string or as an object with the same keys.
enum ModbusRPCRequest {
    static let getForm = "type=16int;functionCode=3;objectsCount=1;address=0;"
    static let setForm = "type=16int;functionCode=6;objectsCount=1;address=0;value=12;"
    private static let fields: Set<String> = ["type", "functionCode", "objectsCount", "address", "value"]

    /// `get` or `set` when `method` names one of the reserved methods as the Python gateway
    /// does: `get`/`set` in any case, or the connector RPCs `modbus_get`/`modbus_set`
    /// (whose params are an object with the same keys). Nil for any other method.
    static func reservedMethod(_ method: String) -> String? {
        switch method.lowercased() {
        case "get", "modbus_get": "get"
        case "set", "modbus_set": "set"
        default: nil
        }
    }

    /// The ad-hoc key and, for `set`, the value to write.
    static func parse(method: String, params: JSONValue, device: ModbusDeviceConfig) -> Result<(ModbusKeyConfig, JSONValue?), ModbusRPCFailure> {
        let isSet = method == "set"
        let form = isSet ? setForm : getForm
        func fail(_ why: String) -> Result<(ModbusKeyConfig, JSONValue?), ModbusRPCFailure> {
            .failure(ModbusRPCFailure("\(method): \(why); expected params like \"\(form)\""))
        }
        var members: [String: JSONValue] = [:]
        switch params {
        case .string(let text):
            for part in text.split(separator: ";") {
                let trimmed = part.trimmingWhitespace()
                if trimmed.isEmpty { continue }
                guard let equals = trimmed.firstIndex(of: "=") else { return fail("'\(PlatformText.clip(trimmed))' is not key=value") }
                let name = String(trimmed[..<equals]).trimmingWhitespace()
                let raw = String(trimmed[trimmed.index(after: equals)...]).trimmingWhitespace()
                guard fields.contains(name) else { return fail("unknown field '\(PlatformText.clip(name))'") }
                members[name] = name == "value" || name == "type" ? .string(raw) : (Int64(raw).map(JSONValue.int) ?? .string(raw))
            }
        case .object(let object):
            for name in object.keys where !fields.contains(name) { return fail("unknown field '\(PlatformText.clip(name))'") }
            members = object
        default:
            return fail("params must be a string")
        }
        for required in ["type", "functionCode", "address"] where members[required] == nil {
            return fail("'\(required)' is missing")
        }
        let value = members.removeValue(forKey: "value")
        if isSet, value == nil { return fail("'value' is missing") }
        if !isSet, value != nil { return fail("'value' is only for set") }
        let diagnostics = ConfigDiagnostics()
        let node = ConfigNode(value: .object(members), path: "params", file: "rpc", diagnostics: diagnostics)
        let reader = ModbusKeyReader(byteOrder: device.byteOrder, wordOrder: device.wordOrder, reportStrategy: .onReceived)
        guard let key = reader.read(node, role: .rpc, tag: method), diagnostics.errors.isEmpty else {
            let reasons = diagnostics.errors.map { "\($0.path.replacing("params.", with: "")): \($0.message)" }
            return fail(reasons.joined(separator: "; "))
        }
        if isSet == key.functionCode.isRead {
            return fail("functionCode \(key.functionCode.rawValue) \(isSet ? "reads; set needs 5, 6, 15 or 16" : "writes; get needs 1, 2, 3 or 4")")
        }
        return .success((key, value))
    }
}
