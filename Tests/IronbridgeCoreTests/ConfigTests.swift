import Foundation
import IronbridgeCore
import IronbridgeTestSupport
import Logging
import Testing

/// Writes files into a fresh temporary folder and loads config.json from it.
struct ConfigFolder {
    let url: URL

    init(_ files: [String: String]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files {
            let file = url.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
    }

    func load(environment: [String: String] = [:]) -> Result<GatewaySetup, ConfigError> {
        Result { () throws(ConfigError) in
            try GatewaySetup.load(configFile: url.appendingPathComponent("config.json"), factories: [TestConnectorFactory()],
                                  environment: environment, logger: Logger(label: "test"))
        }
    }

    func errors(environment: [String: String] = [:]) -> [String] {
        guard case .failure(let error) = load(environment: environment) else { return [] }
        return error.diagnostics.filter { $0.severity == .error }.map(\.description)
    }
}

let minimalConfig = #"{"thingsboard": {"host": "tb.local", "port": 1883, "security": {"type": "accessToken", "accessToken": "abc"}}, "connectors": [{"type": "test", "name": "T", "configuration": "test.json"}]}"#
let testConnectorFile = #"{"devices": [{"name": "Meter 1", "type": "meter"}]}"#

@Suite("configuration loading")
struct ConfigTests {
    @Test("a minimal config loads with the documented defaults")
    func defaults() throws {
        let folder = try ConfigFolder(["config.json": minimalConfig, "test.json": testConnectorFile])
        let setup = try folder.load().get()
        let tb = setup.config.thingsboard
        #expect(tb.host == "tb.local")
        #expect(tb.port == 1883)
        #expect(tb.qos == 1)
        #expect(tb.keepAliveSeconds == 60)
        #expect(tb.security == .accessToken("abc"))
        #expect(tb.protocolVersion == .v5)
        #expect(tb.rpcTimeoutMs == 5000)
        #expect(setup.config.storage.maxRecordsCount == 100_000)
        #expect(setup.config.dataFolder.path == folder.url.appendingPathComponent("data").standardizedFileURL.path)
        #expect(setup.connectors.map(\.name) == ["T"])
        #expect(setup.connectors.first?.devices == [DeviceInfo(name: "Meter 1", type: "meter")])
    }

    @Test("a missing config file is named")
    func missingFile() throws {
        let folder = try ConfigFolder([:])
        let errors = folder.errors()
        #expect(errors.count == 1)
        #expect(errors.first?.contains("config.json") == true)
        #expect(errors.first?.contains("does not exist") == true)
    }

    @Test("malformed JSON is reported with line and column")
    func malformedJSON() throws {
        let folder = try ConfigFolder(["config.json": "{\n  \"thingsboard\": {\n    \"host\": \"x\",,\n  }\n}"])
        let errors = folder.errors()
        #expect(errors.count == 1)
        #expect(errors.first?.contains("line 3") == true, "\(errors)")
    }

    @Test("every error names the file, the JSON path and what was expected")
    func typedErrors() throws {
        let config = #"{"thingsboard": {"host": 5, "port": "high", "qos": 2, "security": {"type": "magic"}}, "storage": {"type": "sqlite", "max_disk_mb": "big"}, "connectors": [{"type": "test", "name": "T"}]}"#
        let errors = try ConfigFolder(["config.json": config]).errors()
        #expect(errors.contains { $0.contains("config.json: $.thingsboard.host: expected a string, found a number") }, "\(errors)")
        #expect(errors.contains { $0.contains("$.thingsboard.port: expected a whole number, found a string") }, "\(errors)")
        #expect(errors.contains { $0.contains("$.thingsboard.qos: 2 is out of range: expected 0 to 1") }, "\(errors)")
        #expect(errors.contains { $0.contains("$.thingsboard.security.type: 'magic' is not one of") }, "\(errors)")
        #expect(errors.contains { $0.contains("$.storage.max_disk_mb: expected a whole number, found a string") }, "\(errors)")
        #expect(errors.contains { $0.contains("$.connectors[0].configuration: is required") }, "\(errors)")
    }

    @Test("the Python gateway's storage sections map onto the journal: folders, capacities, limits")
    func storageSections() throws {
        func storage(_ json: String) throws -> StorageConfig {
            let config = #"{"thingsboard": {"host": "h", "security": {"type": "accessToken", "accessToken": "t"}}, "storage": "# + json + "}"
            let folder = try ConfigFolder(["config.json": config])
            let diagnostics = ConfigDiagnostics()
            let loaded = try #require(GatewayConfig.load(file: folder.url.appendingPathComponent("config.json"), knownConnectorTypes: [], environment: [:], diagnostics: diagnostics))
            return loaded.storage
        }
        let file = try storage(#"{"type": "file", "data_folder_path": "./data/", "max_file_count": 5, "max_records_per_file": 2000, "max_read_records_count": 10}"#)
        #expect(file.kind == .file && file.folder.hasSuffix("/data") && file.maxRecordsCount == 10_000 && file.readRecordsCount == 10)
        let sqlite = try storage(#"{"type": "sqlite", "data_file_path": "./data/data.db", "size_limit": 100, "max_db_amount": 3, "messages_ttl_in_days": 2}"#)
        #expect(sqlite.kind == .sqlite && sqlite.folder.hasSuffix("/data") && sqlite.maxBytes == 300 << 20 && sqlite.ttl == .seconds(2 * 86_400))
        let defaults = try storage("{}")
        #expect(defaults.kind == .file && defaults.folder.hasSuffix("data/storage") && defaults.fsyncInterval == .seconds(1))
        let memory = try storage(#"{"type": "memory", "read_records_count": 100, "max_records_count": 5000}"#)
        #expect(!memory.isDurable && memory.maxRecordsCount == 5000 && memory.readRecordsCount == 100)
    }

    @Test("an unknown connector type is an error listing the known ones")
    func unknownConnectorType() throws {
        let config = #"{"thingsboard": {"host": "h", "security": {"type": "accessToken", "accessToken": "t"}}, "connectors": [{"type": "bacnet", "name": "B", "configuration": "b.json"}]}"#
        let errors = try ConfigFolder(["config.json": config]).errors()
        #expect(errors.count == 1)
        #expect(errors.first?.contains("$.connectors[0].type: unknown connector type 'bacnet'; this build knows: test") == true, "\(errors)")
    }

    @Test("a missing connector file is named relative to config.json's folder")
    func missingConnectorFile() throws {
        let errors = try ConfigFolder(["config.json": minimalConfig]).errors()
        #expect(errors.count == 1)
        #expect(errors.first?.contains("test.json") == true && errors.first?.contains("does not exist") == true, "\(errors)")
    }

    @Test("unknown keys and unsupported Python gateway keys are warnings, not errors")
    func unknownKeysWarn() throws {
        let config = #"{"thingsboard": {"host": "h", "remoteShell": false, "colour": "blue", "security": {"type": "accessToken", "accessToken": "t"}}, "connectors": []}"#
        let setup = try ConfigFolder(["config.json": config]).load().get()
        let warnings = setup.diagnostics.filter { $0.severity == .warning }.map(\.description)
        #expect(warnings.contains { $0.contains("$.thingsboard.remoteShell: is not supported and is ignored") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("$.thingsboard.colour: unknown key, ignored") }, "\(warnings)")
    }

    @Test("environment variables override host, port and token")
    func environmentOverrides() throws {
        let folder = try ConfigFolder(["config.json": minimalConfig, "test.json": testConnectorFile])
        let setup = try folder.load(environment: ["IRONBRIDGE_HOST": "10.1.2.3", "IRONBRIDGE_PORT": "8883", "TB_GW_ACCESS_TOKEN": "from-env"]).get()
        #expect(setup.config.thingsboard.host == "10.1.2.3")
        #expect(setup.config.thingsboard.port == 8883)
        #expect(setup.config.thingsboard.security == .accessToken("from-env"))
        let bad = folder.errors(environment: ["IRONBRIDGE_PORT": "http"])
        #expect(bad.contains { $0.contains("IRONBRIDGE_PORT") && $0.contains("'http'") }, "\(bad)")
    }

    @Test("the security types map to MQTT credentials")
    func securityTypes() throws {
        func security(_ json: String) throws -> ThingsBoardConfig {
            let config = #"{"thingsboard": {"host": "h", "security": "# + json + #"}, "connectors": []}"#
            return try ConfigFolder(["config.json": config, "ca.pem": "x", "c.pem": "x", "k.pem": "x"]).load().get().config.thingsboard
        }
        let basic = try security(#"{"type": "usernamePassword", "clientId": "gw1", "username": "u", "password": "p"}"#).mqttConfiguration
        #expect(basic.clientID == "gw1" && basic.username == "u" && basic.password == "p" && basic.tls == nil)
        let token = try security(#"{"type": "accessToken", "accessToken": "tok"}"#).mqttConfiguration
        #expect(token.username == "tok" && token.password == nil)
        let folder = try ConfigFolder(["ca.pem": "x", "c.pem": "x", "k.pem": "x"])
        let ca = folder.url.appendingPathComponent("ca.pem").path
        let cert = folder.url.appendingPathComponent("c.pem").path
        let key = folder.url.appendingPathComponent("k.pem").path
        let tls = try security(#"{"type": "tlsAccessToken", "accessToken": "tok", "caCert": "\#(ca)"}"#).mqttConfiguration
        #expect(tls.username == "tok" && tls.tls?.caFile == ca && tls.tls?.insecure == false)
        let x509 = try security(#"{"type": "x509Certificate", "caCert": "\#(ca)", "cert": "\#(cert)", "privateKey": "\#(key)"}"#).mqttConfiguration
        #expect(x509.tls?.certFile == cert && x509.tls?.keyFile == key && x509.username == nil)
        let missing = try ConfigFolder(["config.json": #"{"thingsboard": {"host": "h", "security": {"type": "x509Certificate", "cert": "/nonexistent/c.pem", "privateKey": "/nonexistent/k.pem"}}}"#]).errors()
        #expect(missing.contains { $0.contains("$.thingsboard.security.cert: the file '/nonexistent/c.pem' does not exist") }, "\(missing)")
    }

    @Test("device names must be unique across connectors")
    func duplicateDevices() throws {
        let config = #"{"thingsboard": {"host": "h", "security": {"type": "accessToken", "accessToken": "t"}}, "connectors": [{"type": "test", "name": "A", "configuration": "a.json"}, {"type": "test", "name": "B", "configuration": "b.json"}]}"#
        let errors = try ConfigFolder(["config.json": config, "a.json": testConnectorFile, "b.json": testConnectorFile]).errors()
        #expect(errors.contains { $0.contains("b.json") && $0.contains("'Meter 1' is already used by connector 'A'") }, "\(errors)")
    }
}

@Suite("config files that are odd but not wrong, or wrong in a way that must be said")
struct OddConfigFileTests {
    let minimal = #"{"thingsboard": {"host": "h", "security": {"type": "accessToken", "accessToken": "t"}}}"#

    @Test("a UTF-8 byte-order mark is accepted")
    func byteOrderMark() throws {
        let folder = try ConfigFolder([:])
        let url = folder.url.appendingPathComponent("config.json")
        try Data([0xEF, 0xBB, 0xBF] + Array(minimal.utf8)).write(to: url)
        let diagnostics = ConfigDiagnostics()
        #expect(GatewayConfig.load(file: url, knownConnectorTypes: [], environment: [:], diagnostics: diagnostics) != nil)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.errors)")
    }

    @Test("a file holding only null is an error that says so")
    func onlyNull() throws {
        let errors = try ConfigFolder(["config.json": "null"]).errors()
        #expect(errors.count == 1 && errors.first?.contains("config.json: $: the file holds only null; expected an object") == true, "\(errors)")
    }

    @Test("a data folder that is a regular file is an error at $.dataFolder")
    func dataFolderIsAFile() throws {
        let folder = try ConfigFolder([:])
        try "not a folder".write(to: folder.url.appendingPathComponent("data"), atomically: true, encoding: .utf8)
        try minimal.write(to: folder.url.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let diagnostics = ConfigDiagnostics()
        _ = GatewayConfig.load(file: folder.url.appendingPathComponent("config.json"), knownConnectorTypes: [], environment: [:], diagnostics: diagnostics)
        #expect(diagnostics.errors.contains { $0.description.contains("$.dataFolder: ") && $0.description.contains("is a file, not a folder") }, "\(diagnostics.errors)")
    }
}
