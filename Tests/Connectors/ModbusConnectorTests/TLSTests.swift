import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

/// pymodbus 3.9 (written independently of us) speaking Modbus TCP over TLS: its TLS server
/// as the slave our master polls, its TLS client as the master of our `slave` section.
/// Needs `python3` with pymodbus 3.9 (`pip install pymodbus==3.9.2`); skipped without it.
enum PymodbusTLS {
    static let available: Bool = {
        guard let probe = try? ChildProcess("/usr/bin/env", ["python3", "-c", "import pymodbus, ssl"]) else { return false }
        return probe.waitForExit(timeout: 30) == 0
    }()

    /// Server: unit 1, holding registers 0... = 0x4142 0x4344 321 0 ..., coils 0... = 1 0 1.
    static let serverScript = """
    import sys
    from pymodbus.server import StartTlsServer
    from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
    from pymodbus.framer import FramerType
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    # pymodbus 3.9 maps protocol address a to block address a + 1.
    store = ModbusSlaveContext(
        hr=ModbusSequentialDataBlock(1, [0x4142, 0x4344, 321] + [0] * 97),
        co=ModbusSequentialDataBlock(1, [True, False, True] + [False] * 97),
        di=ModbusSequentialDataBlock(1, [False] * 100), ir=ModbusSequentialDataBlock(1, [7] * 100))
    StartTlsServer(context=ModbusServerContext(slaves={1: store}, single=False), framer=FramerType.TLS,
                   address=("127.0.0.1", port), certfile=cert, keyfile=key)
    """

    /// Client: verifies the server's certificate against the CA, runs the
    /// operations `r:address:count` (FC3), `c:address:count` (FC1), `w:address:value` (FC6)
    /// on unit 1 and prints their results as one JSON array.
    static let clientScript = """
    import sys, json, ssl
    from pymodbus.client import ModbusTlsClient
    port, ca = int(sys.argv[1]), sys.argv[2]
    context = ssl.create_default_context(cafile=ca)
    # pymodbus's sync client wraps without server_hostname: the chain is verified, not the name.
    context.check_hostname = False
    client = ModbusTlsClient("127.0.0.1", port=port, sslctx=context, timeout=2, retries=1)
    try:
        connected = client.connect()
    except Exception:
        connected = False
    if not connected:
        print(json.dumps("no connection")); sys.exit(1)
    out = []
    for op in sys.argv[3:]:
        kind, a, b = op.split(":")
        if kind == "r":
            reply = client.read_holding_registers(int(a), count=int(b), slave=1)
            out.append("error" if reply.isError() else reply.registers)
        elif kind == "c":
            reply = client.read_coils(int(a), count=int(b), slave=1)
            out.append("error" if reply.isError() else [bool(x) for x in reply.bits[:int(b)]])
        else:
            reply = client.write_register(int(a), int(b), slave=1)
            out.append("error" if reply.isError() else "ok")
    client.close()
    print(json.dumps(out))
    """

    static func write(_ script: String, name: String) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-\(name)-\(UUID().uuidString).py")
        try script.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Runs the client script; its JSON output, or nil when it failed.
    static func client(port: Int, caFile: String, _ operations: [String]) throws -> JSONValue? {
        let script = try write(clientScript, name: "tls-client")
        let output = script.path + ".out"
        defer { try? FileManager.default.removeItem(at: script); try? FileManager.default.removeItem(atPath: output) }
        let process = try ChildProcess("/usr/bin/env", ["python3", script.path, String(port), caFile] + operations, outputFile: output)
        guard process.waitForExit(timeout: 30) != nil else {
            process.signal(SIGKILL)
            return nil
        }
        guard let text = try? String(contentsOfFile: output, encoding: .utf8),
              let line = text.split(separator: "\n").last(where: { $0.hasPrefix("[") || $0.hasPrefix("\"") }) else { return nil }
        return try? JSONValue.parse(Array(line.utf8))
    }
}

/// pymodbus's TLS server on a free loopback port, until `stop()`.
final class PymodbusTLSServer {
    let port: Int
    private let process: ChildProcess
    private let file: URL

    init(pki: TestCertificates) throws {
        port = try Loopback.freePort()
        file = try PymodbusTLS.write(PymodbusTLS.serverScript, name: "tls-server")
        process = try ChildProcess("/usr/bin/env", ["python3", file.path, String(port), pki.serverCertFile, pki.serverKeyFile])
        // pymodbus takes a moment to start listening: bounded wait.
        for _ in 0..<100 where !Loopback.isListening(port: port) { usleep(100_000) }
    }

    func stop() {
        process.signal(SIGTERM)
        if process.waitForExit(timeout: 5) == nil { process.signal(SIGKILL) }
        try? FileManager.default.removeItem(at: file)
    }

    /// Gone at once (SIGKILL): the kernel closes its sockets.
    func kill() {
        process.signal(SIGKILL)
        _ = process.waitForExit(timeout: 5)
        try? FileManager.default.removeItem(at: file)
    }
}

@Suite("Modbus TCP over TLS, against pymodbus's TLS server and client",
       .enabled(if: MosquittoBroker.isAvailable && TestCertificates.isAvailable && PymodbusTLS.available,
                "mosquitto, openssl or python3 with pymodbus is missing"))
struct ModbusTLSTests {
    static func masterJSON(port: Int, tls: String, method: String = "tls") -> String {
        """
        {"master": {"slaves": [{"deviceName": "Secure", "type": "tcp", "method": "\(method)", "host": "127.0.0.1", "port": \(port),
          "unitId": 1, "pollPeriod": 100, "timeout": 2, "byteOrder": "BIG", "wordOrder": "BIG", "tls": \(tls),
          "timeseries": [{"tag": "text", "type": "string", "functionCode": 3, "objectsCount": 2, "address": 0},
                         {"tag": "level", "type": "16uint", "functionCode": 3, "objectsCount": 1, "address": 2},
                         {"tag": "coil", "type": "bits", "functionCode": 1, "address": 2}],
          "rpc": [{"tag": "setLevel", "type": "16uint", "functionCode": 6, "address": 2}]}]}}
        """
    }

    @Test("the gateway polls pymodbus's TLS server: values reach the platform, a write RPC reaches the server")
    func masterPollsOverTLS() async throws {
        let pki = try TestCertificates()
        let server = try PymodbusTLSServer(pki: pki)
        defer { server.stop() }
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let tls = #"{"cafile": "\#(pki.caFile)", "certfile": "\#(pki.clientCertFile)", "keyfile": "\#(pki.clientKeyFile)"}"#
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [(type: "modbus", name: "Modbus", file: "modbus.json",
                                                                                  json: Self.masterJSON(port: server.port, tls: tls))],
                                         factories: [ModbusConnectorFactory()])
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually(within: 15) {
            platform.telemetry(of: "Secure").contains { $0.values["text"] as? String == "ABCD" && $0.values["level"] as? Int == 321 && $0.values["coil"] as? Bool == true }
        }, "\(platform.telemetry(of: "Secure").suffix(2)) \(gateway.logs.messages.suffix(5))")

        let reply = try await platform.rpc(device: "Secure", id: 7, method: "setLevel", params: ["value": 4242])
        #expect((reply?["result"] as? [String: Any])?["value"] as? Int == 4242, "\(String(describing: reply))")
        // The next polls read the written value back from pymodbus.
        #expect(await eventually(within: 10) { platform.telemetry(of: "Secure").last?.values["level"] as? Int == 4242 })
        // And pymodbus's own client reads it too.
        #expect(try PymodbusTLS.client(port: server.port, caFile: pki.caFile, ["r:2:1"]) == [[4242]])
        await gateway.stop()
        await platform.stop()
        broker.stop()
    }

    @Test("a server certificate not signed by the configured CA is refused, and the error says why and where")
    func wrongCARefused() async throws {
        let pki = try TestCertificates()
        let server = try PymodbusTLSServer(pki: pki)
        defer { server.stop() }
        let connection = try ModbusConnection(endpoint: .tls(host: "127.0.0.1", port: server.port, .init(caFile: pki.otherCAFile)))
        try connection.setResponseTimeout(.seconds(2))
        let refused = #expect(throws: ModbusError.self) { try connection.connect() }
        let text = refused?.description ?? ""
        #expect(text.contains("certificate verify failed") && text.contains("127.0.0.1:\(server.port)"), "\(text)")
        #expect(!connection.isConnected)

        // The same through the connector: no value is read, the log names the reason.
        let rig = try ConnectorRig(Self.masterJSON(port: server.port, tls: #"{"cafile": "\#(pki.otherCAFile)"}"#))
        #expect(await eventually(within: 10) { rig.logs.messages.contains { $0.contains("certificate verify failed") } }, "\(rig.logs.messages.suffix(5))")
        #expect(await rig.latest("level", of: "Secure") == nil)
        await rig.stop()

        // The right CA connects and reads.
        let trusted = try ModbusConnection(endpoint: .tls(host: "127.0.0.1", port: server.port, .init(caFile: pki.caFile)))
        try trusted.setResponseTimeout(.seconds(2))
        try trusted.connect()
        try trusted.setSlave(1)
        #expect(try trusted.readHoldingRegisters(address: 0, count: 3) == [0x4142, 0x4344, 321])
        trusted.close()
    }

    @Test("a master's TLS settings as ThingsBoard's UI writes them (`security` with server_hostname) are used; the name is checked")
    func uiSecurityObject() throws {
        let pki = try TestCertificates()
        let server = try PymodbusTLSServer(pki: pki)
        defer { server.stop() }
        func master(_ security: String) -> String {
            """
            {"master": {"slaves": [{"deviceName": "UI", "type": "tcp", "method": "socket", "host": "127.0.0.1", "port": \(server.port),
              "security": \(security), "timeseries": []}]}}
            """
        }
        let (ui, diagnostics) = try loadModbus(master(#"{"cafile": "\#(pki.caFile)", "server_hostname": "localhost"}"#))
        #expect(diagnostics.all.isEmpty, "\(diagnostics.all)")
        let settings = ModbusTLSSettings(caFile: pki.caFile, serverHostname: "localhost")
        #expect(ui?.configs.first?.endpoint == .tls(host: "127.0.0.1", port: server.port, settings))
        // The server's certificate names localhost: connecting by IP with that name works...
        let named = try ModbusConnection(endpoint: .tls(host: "127.0.0.1", port: server.port, settings))
        try named.setResponseTimeout(.seconds(2))
        try named.connect()
        try named.setSlave(1)
        #expect(try named.readHoldingRegisters(address: 2, count: 1) == [321])
        named.close()
        // ...and a name the certificate does not carry is refused.
        let wrong = try ModbusConnection(endpoint: .tls(host: "127.0.0.1", port: server.port, .init(caFile: pki.caFile, serverHostname: "plc.example")))
        try wrong.setResponseTimeout(.seconds(2))
        #expect(throws: ModbusError.self) { try wrong.connect() }
        // An empty `security` object leaves the line plain TCP.
        let (plain, _) = try loadModbus(master("{}"))
        #expect(plain?.configs.first?.endpoint == .tcp(host: "127.0.0.1", port: server.port))
    }

    @Test("a TLS server that goes away is an error, never a crash (SIGPIPE on the close_notify)")
    func serverGoesAway() throws {
        let pki = try TestCertificates()
        let server = try PymodbusTLSServer(pki: pki)
        let connection = try ModbusConnection(endpoint: .tls(host: "127.0.0.1", port: server.port, .init(caFile: pki.caFile)))
        try connection.setResponseTimeout(.seconds(2))
        try connection.connect()
        try connection.setSlave(1)
        #expect(try connection.readHoldingRegisters(address: 2, count: 1) == [321])
        server.kill()
        // Requests after the peer is gone fail (reset, or its close); each failure closes
        // the connection, which sends close_notify into a dead socket.
        for _ in 0..<3 {
            #expect(throws: ModbusError.self) {
                try connection.connect()
                _ = try connection.readHoldingRegisters(address: 2, count: 1)
            }
            usleep(100_000)
        }
        connection.close()
        #expect(!connection.isConnected)
    }

    @Test("a TLS slave with a CA file answers only masters presenting a certificate signed by it")
    func clientCertificates() throws {
        let pki = try TestCertificates()
        let server = try ModbusServer(.tls(host: "127.0.0.1", port: 0, .init(caFile: pki.caFile, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile)),
                                      configuration: .init(holdingRegisters: 10))
        defer { server.stop() }
        server.setRegisters(.holding, at: 0, [55])
        let port = try #require(server.port)
        let trusted = try ModbusConnection(endpoint: .tls(host: "127.0.0.1", port: port, .init(
            caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile)))
        try trusted.setResponseTimeout(.seconds(2))
        try trusted.connect()
        try trusted.setSlave(1)
        #expect(try trusted.readHoldingRegisters(address: 0, count: 1) == [55])
        trusted.close()
        // Without a client certificate the server ends the handshake (TLS 1.3: seen at the first read).
        let anonymous = try ModbusConnection(endpoint: .tls(host: "127.0.0.1", port: port, .init(caFile: pki.caFile)))
        try anonymous.setResponseTimeout(.seconds(2))
        let refused = #expect(throws: ModbusError.self) {
            try anonymous.connect()
            try anonymous.setSlave(1)
            _ = try anonymous.readHoldingRegisters(address: 0, count: 1)
        }
        // Mostly OpenSSL's "certificate required" alert; when the server's reset overtakes the
        // alert (the request was already on its way), a reset.
        let text = refused?.description ?? ""
        #expect(text.contains("certificate") || text.contains("connection reset"), "\(text)")
    }

    @Test("replies are matched by transaction id: a late or duplicated reply never answers the next request; exceptions come through")
    func transactionIds() throws {
        let pki = try TestCertificates()
        let server = try ModbusServer(.tls(host: "127.0.0.1", port: 0, .init(certFile: pki.serverCertFile, keyFile: pki.serverKeyFile)),
                                      configuration: .init(holdingRegisters: 10))
        defer { server.stop() }
        server.setRegisters(.holding, at: 0, [10, 11, 12, 13, 14, 15])
        server.addFault(.init(addresses: 0...0, behavior: .duplicate))
        server.addFault(.init(addresses: 2...2, behavior: .delay(.milliseconds(700))))
        server.addFault(.init(addresses: 5...5, behavior: .exception(.illegalDataAddress)))
        let master = try ModbusConnection(endpoint: .tls(host: "127.0.0.1", port: try #require(server.port), .init(caFile: pki.caFile)))
        try master.setResponseTimeout(.milliseconds(300))
        try master.connect()
        try master.setSlave(1)
        // The second copy of this reply waits in the stream...
        #expect(try master.readHoldingRegisters(address: 0, count: 1) == [10])
        // ...and is not taken for this one's.
        #expect(try master.readHoldingRegisters(address: 1, count: 1) == [11])
        // A reply arriving after the timeout is dropped when it comes.
        let late = #expect(throws: ModbusError.self) { try master.readHoldingRegisters(address: 2, count: 1) }
        #expect(late?.cause == .timeout)
        usleep(600_000)
        #expect(try master.readHoldingRegisters(address: 3, count: 1) == [13])
        let exception = #expect(throws: ModbusError.self) { try master.readHoldingRegisters(address: 5, count: 1) }
        #expect(exception?.cause == .exception(.illegalDataAddress), "\(String(describing: exception))")
        #expect(try master.readHoldingRegisters(address: 4, count: 1) == [14])
    }

    static func slaveJSON(port: Int, security: String) -> String {
        """
        {"master": {"slaves": []},
         "slave": {"type": "tls", "host": "127.0.0.1", "port": \(port), "method": "tls", "unitId": 1, "deviceName": "Gateway Slave",
          "deviceType": "scada", "pollPeriod": 100, "sendDataToThingsBoard": true, "byteOrder": "BIG", "wordOrder": "BIG",
          "security": \(security),
          "values": {
            "holding_registers": {
              "timeseries": [{"address": 2, "type": "16int", "tag": "smm", "objectsCount": 1, "value": 12334}],
              "rpc": [{"tag": "setValue", "value": 22, "type": "16int", "address": 31, "objectsCount": 1, "functionCode": 6}]},
            "coils_initializer": {"attributes": [{"address": 5, "type": "bits", "tag": "coil", "objectsCount": 1, "value": 1}]}}}}
        """
    }

    @Test("the gateway's TLS slave section is read and written by pymodbus's TLS client; values round-trip to the platform")
    func slaveSectionOverTLS() async throws {
        let pki = try TestCertificates()
        let port = try Loopback.freePort()
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let security = #"{"certfile": "\#(pki.serverCertFile)", "keyfile": "\#(pki.serverKeyFile)"}"#
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [(type: "modbus", name: "Modbus", file: "modbus.json",
                                                                                  json: Self.slaveJSON(port: port, security: security))],
                                         factories: [ModbusConnectorFactory()])
        #expect(await gateway.waitUntilConnected())
        for _ in 0..<50 where !Loopback.isListening(port: port) { usleep(100_000) }

        let first = try PymodbusTLS.client(port: port, caFile: pki.caFile, ["r:2:1", "c:5:1", "r:31:1", "w:2:777"])
        #expect(first == [[12334], [true], [22], "ok"], "\(String(describing: first))")
        // What the master wrote reaches the platform through the gateway's poll of its own TLS server.
        #expect(await eventually(within: 10) { platform.telemetry(of: "Gateway Slave").contains { $0.values["smm"] as? Int == 777 } },
                "\(gateway.logs.messages.suffix(5))")
        // The platform's RPC changes what the master reads.
        let reply = try await platform.rpc(device: "Gateway Slave", id: 3, method: "setValue", params: ["value": -4])
        #expect((reply?["result"] as? [String: Any])?["value"] as? Int == -4, "\(String(describing: reply))")
        #expect(try PymodbusTLS.client(port: port, caFile: pki.caFile, ["r:31:1"]) == [[0xFFFC]])
        // A master that does not trust the gateway's certificate gets nothing.
        #expect(try PymodbusTLS.client(port: port, caFile: pki.otherCAFile, ["r:2:1"]) == "no connection")
        await gateway.stop()
        await platform.stop()
        broker.stop()
    }

    @Test("check accepts TLS masters and TLS slave sections; a missing certificate file is an error naming file and path")
    func check() throws {
        let pki = try TestCertificates()
        let (connector, diagnostics) = try loadModbus(Self.masterJSON(port: 802, tls: #"{"cafile": "\#(pki.caFile)"}"#))
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.all)")
        #expect(connector?.configs.first?.endpoint == .tls(host: "127.0.0.1", port: 802, .init(caFile: pki.caFile)))
        // "type": "tls" too; no tls object: the system's trust store.
        let (typed, typedDiagnostics) = try loadModbus("""
        {"master": {"slaves": [{"deviceName": "T", "type": "tls", "host": "plc.example", "timeseries": []}]}}
        """)
        #expect(typedDiagnostics.errors.isEmpty, "\(typedDiagnostics.all)")
        #expect(typed?.configs.first?.endpoint == .tls(host: "plc.example", port: 802, .init()))

        let (_, missing) = try loadModbus(Self.masterJSON(port: 802, tls: #"{"cafile": "/nonexistent/ca.pem"}"#))
        #expect(missing.errors.map(\.path) == ["$.master.slaves[0].tls"], "\(missing.all)")
        #expect(missing.errors.first?.message.contains("/nonexistent/ca.pem") == true, "\(missing.all)")

        let (_, unverified) = try loadModbus(Self.masterJSON(port: 802, tls: #"{"verify": false}"#))
        #expect(unverified.errors.isEmpty && unverified.warnings.map(\.path) == ["$.master.slaves[0].tls.verify"], "\(unverified.all)")

        let (slave, slaveDiagnostics) = try loadModbus(Self.slaveJSON(
            port: 8802, security: #"{"certfile": "\#(pki.serverCertFile)", "keyfile": "\#(pki.serverKeyFile)"}"#))
        #expect(slaveDiagnostics.all.isEmpty, "\(slaveDiagnostics.all)")
        #expect(slave?.configs.first?.endpoint == .tls(host: "127.0.0.1", port: 8802, .init(verifyPeer: false)))
        let (_, noKey) = try loadModbus(Self.slaveJSON(port: 8802, security: #"{"certfile": "\#(pki.serverCertFile)"}"#))
        #expect(noKey.errors.map(\.path) == ["$.slave.security"], "\(noKey.all)")
    }
}
