import IronbridgeCore
import IronbridgeModbus

/// The TLS keys of a master's slave entry (`tls`) and of the `slave` section (`security`).
/// The Python gateway's keys are `certfile`, `keyfile` and `password`; ours add `cafile`
/// and, for a master, `verify`. The files are loaded here, so a missing or bad one is
/// reported by `ironbridge check` with the file and JSON path.
enum ModbusTLSConfig {
    static let masterKeys: Set<String> = ["certfile", "keyfile", "password", "cafile", "verify", "server_hostname"]
    static let serverKeys: Set<String> = ["certfile", "keyfile", "password", "cafile"]

    /// A master's `tls` object (absent: verify against the system's CAs, no client certificate).
    static func readMaster(_ node: ConfigNode) -> ModbusTLSSettings? {
        guard let settings = read(node, keys: masterKeys) else { return nil }
        if !settings.verifyPeer {
            node["verify"].warning("the server's certificate is not verified: the connection is encrypted, but anyone on the network can pose as the server")
        }
        return check(settings, node: node, asServer: false)
    }

    /// The `slave` section's `security` object: `certfile` and `keyfile` required; with
    /// `cafile`, masters must present a certificate signed by it.
    static func readServer(_ node: ConfigNode) -> ModbusTLSSettings? {
        guard node.exists else {
            node.error("a Modbus/TLS slave needs \"security\": {\"certfile\": ..., \"keyfile\": ...}")
            return nil
        }
        guard let settings = read(node, keys: serverKeys) else { return nil }
        guard settings.certFile != nil else {
            node["certfile"].error("a Modbus/TLS slave needs its certificate file (PEM)")
            return nil
        }
        return check(settings, node: node, asServer: true)
    }

    private static func read(_ node: ConfigNode, keys: Set<String>) -> ModbusTLSSettings? {
        guard node.exists else { return ModbusTLSSettings() }
        guard node.value?.objectValue != nil else {
            node.error("expected an object with certfile, keyfile, password, cafile")
            return nil
        }
        node.checkKeys(known: keys)
        return ModbusTLSSettings(
            caFile: nonEmpty(node["cafile"]), certFile: nonEmpty(node["certfile"]), keyFile: nonEmpty(node["keyfile"]),
            password: nonEmpty(node["password"]), verifyPeer: node["verify"].bool(default: true),
            serverHostname: keys.contains("server_hostname") ? nonEmpty(node["server_hostname"]) : nil)
    }

    private static func check(_ settings: ModbusTLSSettings, node: ConfigNode, asServer: Bool) -> ModbusTLSSettings? {
        if let failure = settings.loadError(asServer: asServer) {
            node.error(failure)
            return nil
        }
        return settings
    }

    private static func nonEmpty(_ node: ConfigNode) -> String? {
        guard let text = node.optionalString(), !text.isEmpty else { return nil }
        return text
    }
}
