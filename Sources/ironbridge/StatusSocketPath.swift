import FoundationEssentials
import IronbridgeCore

/// Where the gateway's status socket is: `--status-socket`/`--socket`, else
/// `$IRONBRIDGE_STATUS_SOCKET`, else `status.sock` in the configuration's data folder.
enum StatusSocketPath {
    static let environmentName = "IRONBRIDGE_STATUS_SOCKET"
    static let fileName = "status.sock"
    /// The packaged gateway's data folder, the last resort of `ironbridge status`.
    static let packagedDefault = "/var/lib/ironbridge/status.sock"

    /// The path `ironbridge run` listens on.
    static func forRun(option: String?, config: GatewayConfig, environment: [String: String]) -> String {
        if let option, !option.isEmpty { return option }
        if let path = environment[environmentName], !path.isEmpty { return path }
        return config.dataFolder.appendingPathComponent(fileName).path
    }

    /// The path `ironbridge status` asks: as `run` would find it from the same configuration
    /// (`--config`, else ./config.json, else /etc/ironbridge/config.json, when readable), else the
    /// packaged default.
    static func forStatus(option: String?, configPath: String?, environment: [String: String]) -> String {
        if let option, !option.isEmpty { return option }
        if let path = environment[environmentName], !path.isEmpty { return path }
        let candidates = configPath.map { [$0] } ?? ["config.json", "/etc/ironbridge/config.json"]
        for candidate in candidates where FileManager.default.isReadableFile(atPath: candidate) {
            let diagnostics = ConfigDiagnostics()
            if let config = GatewayConfig.load(file: URL(fileURLWithPath: candidate), knownConnectorTypes: Set(Connectors.factories.map(\.type)),
                                               environment: environment, diagnostics: diagnostics) {
                return config.dataFolder.appendingPathComponent(fileName).path
            }
        }
        return packagedDefault
    }
}
