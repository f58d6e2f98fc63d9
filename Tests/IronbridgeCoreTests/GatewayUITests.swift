import Foundation
@testable import IronbridgeCore
import IronbridgeMQTT
import IronbridgeTestSupport
import Logging
import Synchronization
import Testing

/// JSON of every message on `topic` (objects and arrays).
private func payloads(_ platform: PlatformStandIn, _ topic: String) -> [Any] {
    platform.messages(on: topic).compactMap { try? JSONSerialization.jsonObject(with: Data($0.payload)) }
}

/// The statistics messages the gateway sent for itself.
private func statisticsMessages(_ platform: PlatformStandIn) -> [[String: Any]] {
    payloads(platform, "v1/devices/me/telemetry").compactMap { $0 as? [String: Any] }.filter { $0["machineStats"] != nil }
}

/// Every remote log element: (key, line).
private func logLines(_ platform: PlatformStandIn) -> [(key: String, line: String)] {
    var out: [(String, String)] = []
    for case let array as [[String: Any]] in payloads(platform, "v1/devices/me/telemetry") {
        for element in array {
            for (key, value) in element["values"] as? [String: Any] ?? [:] { out.append((key, value as? String ?? "")) }
        }
    }
    return out
}

@Suite("ThingsBoard's gateway UI: statistics, remote logging, service RPCs, claiming, provisioning",
       .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct GatewayUITests {
    @Test("statistics with the dashboard's keys arrive every period; error counters, machine attributes and connectorName/connectorType")
    func statistics() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [("test", "Test", "test.json", twoDevices)],
                                         factories: [TestConnectorFactory()], thingsboardExtra: #", "statistics": {"statsSendPeriodInSeconds": 1}"#)
        #expect(await gateway.waitUntilConnected())
        #expect(await eventually { gateway.testConnector.isRunning })
        // Right after the connect, the counters once, at 0 (not only at the first 5 s check).
        #expect(await eventually(within: 3) { platform.objects(on: "v1/devices/me/telemetry").contains { $0["ALL_ERRORS_COUNT"] as? Int == 0 } })
        await gateway.testConnector.send([TelemetryRecord(device: "Meter 1", timestamp: nil, values: [DataPoint("a", 1), DataPoint("b", 2)])])
        gateway.testConnector.recordError()
        gateway.testConnector.recordError()

        // Every second: at least four messages within eight seconds (the default period, 60 s, would give one).
        #expect(await eventually(within: 8) { statisticsMessages(platform).count >= 4 })
        let messages = statisticsMessages(platform)
        let last = try #require(messages.last)
        let machine = try #require(last["machineStats"] as? [String: Any])
        let service = try #require(last["serviceStats"] as? [String: Any])
        let connectors = try #require(last["connectorsStats"] as? [String: Any])
        for key in ["gwProcessCpuUsage", "gwMemory", "diskUsage", "msgsSentToPlatform", "freeMemory", "freeDisk", "totalCpuUsage", "gwProcessMemoryFullInfo"] {
            #expect(machine[key] != nil, "machineStats.\(key) missing: \(machine)")
        }
        for key in ["storageMsgCount", "storageMsgPulled", "platformAttrProduced", "platformTsProduced", "platformMsgPushed", "storageType"] {
            #expect(service[key] != nil, "serviceStats.\(key) missing: \(service)")
        }
        #expect((connectors["Test"] as? [String: Any])?["connectorsErrors"] != nil)
        // The telemetry points sent show up as a per-period delta in one of the messages.
        #expect(messages.contains { (($0["serviceStats"] as? [String: Any])?["platformTsProduced"] as? Int ?? 0) >= 2 })
        #expect(messages.contains { ((($0["connectorsStats"] as? [String: Any])?["Test"] as? [String: Any])?["connectorMsgsReceived"] as? Int ?? 0) >= 1 })

        let attributes = platform.objects(on: "v1/devices/me/attributes")
        #expect(attributes.contains { $0["totalMemory"] is String && $0["totalDisk"] is String && ($0["cpuCount"] as? Int ?? 0) >= 1 })
        #expect(await eventually(within: 8) {
            platform.objects(on: "v1/devices/me/telemetry").contains { $0["Test_ERRORS_COUNT"] as? Int == 2 && $0["ALL_ERRORS_COUNT"] as? Int == 2 }
        })
        #expect(await eventually(within: 5) {
            platform.objects(on: "v1/gateway/attributes").contains {
                ($0["Meter 1"] as? [String: Any])?["connectorName"] as? String == "Test" && ($0["Meter 1"] as? [String: Any])?["connectorType"] as? String == "test"
            }
        })
        await gateway.stop()
        await platform.stop()
    }

    @Test("RemoteLoggingLevel makes service lines arrive in the log view's shape; a connector with enableRemoteLogging gets <name>_LOGS; a flood is rate-limited")
    func remoteLogging() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let remote = RemoteLog()
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [("test", "Test", "test.json", twoDevices)],
                                         factories: [TestConnectorFactory()],
                                         thingsboardExtra: #", "statistics": {"enable": false}, "remoteLogging": {"linesPerSecond": 2, "burst": 10}"#,
                                         remoteLog: remote)
        #expect(await gateway.waitUntilConnected())
        // Before the level is set (NONE) nothing is sent.
        _ = try await platform.gatewayRPC(id: 1, method: "gateway_teleport", params: "{}")
        try await Task.sleep(for: .milliseconds(500))
        #expect(logLines(platform).isEmpty)

        try await platform.publishRaw("v1/devices/me/attributes", #"{"RemoteLoggingLevel": "INFO"}"#)
        #expect(await eventually { remote.levelName == "INFO" })
        #expect(await eventually { platform.objects(on: "v1/devices/me/attributes").contains { $0["RemoteLoggingLevel"] as? String == "INFO" } })
        _ = try await platform.gatewayRPC(id: 2, method: "gateway_teleport", params: "{}")
        #expect(await eventually { logLines(platform).contains { $0.key == "SERVICE_LOGS" && $0.line.contains("teleport") } })
        let line = try #require(logLines(platform).first { $0.key == "SERVICE_LOGS" && $0.line.contains("teleport") }?.line)
        #expect(line.contains(" - |INFO|<") && line.contains("[GatewayRPCService.swift]"), "\(line)")
        #expect(logLines(platform).contains { $0.key == "LOGS" && $0.line == line })

        // A connector's lines: <name>_LOGS once it has enableRemoteLogging.
        remote.setConnector("Test", enabled: true)
        var connectorLogger = Logger(label: "test") { _ in RemoteLogHandler(remote: remote, level: .debug) }
        connectorLogger[metadataKey: "connector"] = "Test"
        connectorLogger.debug("register 40001 read")
        #expect(await eventually { logLines(platform).contains { $0.key == "Test_LOGS" && $0.line.contains("|DEBUG|") && $0.line.contains("register 40001 read") } })

        // A flood of 500 lines: the bucket (burst 10, 2/s) lets a handful through and says how many it skipped.
        let before = logLines(platform).count
        let started = ContinuousClock.now
        for index in 0..<500 { connectorLogger.info("flood \(index)") }
        try await Task.sleep(for: .milliseconds(1200))
        connectorLogger.info("after the flood")
        #expect(await eventually { logLines(platform).contains { $0.line.contains("after the flood") } })
        let elapsed = Double((ContinuousClock.now - started).components.seconds) + 1
        let flood = logLines(platform).dropFirst(before).filter { $0.line.contains("flood ") && !$0.line.contains("after") }
        #expect(flood.count >= 1 && Double(flood.count) <= 10 + 2 * elapsed + 1, "\(flood.count) flood lines arrived in \(elapsed) s")
        #expect(remote.refusedLines >= 400)
        #expect(logLines(platform).contains { $0.line.contains("log line(s) were not sent: remote logging is limited to 2.0 lines/s") })

        // An error line of no connector counts as a service error (service_ERRORS_COUNT).
        let serviceLogger = Logger(label: "test") { _ in RemoteLogHandler(remote: remote, level: .debug) }
        serviceLogger.error("the journal cannot be written")
        #expect(gateway.gateway.statistics.errors.totals.perConnector["service"] == 1)
        #expect(await eventually { logLines(platform).contains { $0.line.contains("|ERROR|") && $0.line.contains("the journal cannot be written") } })

        // Back to NONE: service lines stop.
        try await platform.publishRaw("v1/devices/me/attributes", #"{"RemoteLoggingLevel": "NONE"}"#)
        #expect(await eventually { remote.levelName == "NONE" })
        let count = logLines(platform).count
        _ = try await platform.gatewayRPC(id: 3, method: "gateway_teleport", params: "{}")
        try await Task.sleep(for: .milliseconds(500))
        #expect(logLines(platform).count == count)
        await gateway.stop()
        await platform.stop()
    }

    @Test("lines logged while the forwarder publishes are never forwarded (no feedback loop)")
    func noFeedback() {
        let remote = RemoteLog()
        remote.setLevel("TRACE")
        RemoteLog.$isPublishing.withValue(true) {
            remote.accept(level: .error, message: "publishing failed", connector: nil, file: "X.swift", function: "f()", line: 1)
        }
        #expect(remote.takeBatch().isEmpty)
        remote.accept(level: .error, message: "an ordinary line", connector: nil, file: "X.swift", function: "f()", line: 1)
        #expect(remote.takeBatch().count == 1)
        // libmosquitto's packet trace (on the network thread, outside the flag) describes the publishing itself: dropped.
        remote.accept(level: .trace, message: "libmosquitto: Client sending PUBLISH", connector: nil, file: "IronbridgeMQTT/MQTTSession.swift", function: "f()", line: 1)
        #expect(remote.takeBatch().isEmpty)
        // The link's warnings go to CONNECTION_LOGS, the store's to STORAGE_LOGS, both also to LOGS.
        remote.accept(level: .warning, message: "link lost", connector: nil, file: "IronbridgeCore/PlatformLink.swift", function: "f()", line: 1)
        remote.accept(level: .warning, message: "disk full", connector: nil, file: "IronbridgeCore/UploadBuffer+Disk.swift", function: "f()", line: 1)
        let keys = remote.takeBatch().map { Set(($0["values"]?.objectValue ?? [:]).keys) }
        #expect(keys == [["CONNECTION_LOGS", "LOGS"], ["STORAGE_LOGS", "LOGS"]])
    }

    @Test("the service RPCs as the UI's widget sends them (params \"{}\") get the replies it expects; claiming publishes the claim messages")
    func serviceRPCs() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [("test", "Test", "test.json", twoDevices)],
                                         factories: [TestConnectorFactory()], thingsboardExtra: #", "statistics": {"enable": false}"#)
        #expect(await gateway.waitUntilConnected())
        let ping = try await platform.gatewayRPC(id: 1, method: "gateway_ping", params: "{}") as? [String: Any]
        #expect(ping?["code"] as? Int == 200 && ping?["resp"] as? String == "pong")
        let version = try await platform.gatewayRPC(id: 2, method: "gateway_version", params: "{}") as? [String: Any]
        #expect(version?["code"] as? Int == 200 && (version?["resp"] as? [String: Any])?["current_version"] as? String == IronbridgeVersion.current)
        let devices = try await platform.gatewayRPC(id: 3, method: "gateway_devices", params: "{}") as? [String: Any]
        #expect(devices?["code"] as? Int == 200 && (devices?["resp"] as? [String: Any])?["Meter 1"] as? String == "Test")
        let stats = try await platform.gatewayRPC(id: 4, method: "gateway_stats", params: "{}") as? [String: Any]
        #expect(stats?["eventsSent"] is Int && stats?["eventsProduced"] is Int)
        let update = try await platform.gatewayRPC(id: 5, method: "gateway_update", params: "{}") as? [String: Any]
        #expect(update?["code"] as? Int == 400 && update?["error"] is String)

        // Provisioned credentials: 404 when there are none, 200 and gone when there are.
        let missing = try await platform.gatewayRPC(id: 6, method: "gateway_remove_provisioned_credentials", params: "{}") as? [String: Any]
        #expect(missing?["code"] as? Int == 404 && missing?["message"] is String)
        let file = ProvisionedCredentialsFile(dataFolder: gateway.gateway.setup.config.dataFolder.path)
        try file.save(["credentialsType": "ACCESS_TOKEN", "credentialsValue": "abc", "status": "SUCCESS"])
        let removed = try await platform.gatewayRPC(id: 7, method: "gateway_remove_provisioned_credentials", params: "{}") as? [String: Any]
        #expect(removed?["code"] as? Int == 200 && !file.exists)

        // Claiming the gateway, then a sub-device.
        let claimGateway = try await platform.gatewayRPC(id: 8, method: "gateway_claim", params: #"{"secretKey": "s3cret", "durationMs": 30000}"#) as? [String: Any]
        #expect(claimGateway?["code"] as? Int == 200)
        let ownClaim = await platform.waitFor("v1/devices/me/claim")
        #expect(ownClaim?["secretKey"] as? String == "s3cret" && ownClaim?["durationMs"] as? Int == 30000)
        let claimDevice = try await platform.gatewayRPC(id: 9, method: "gateway_claim", params: ["device": "Meter 1", "secretKey": "k1", "durationMs": 60000]) as? [String: Any]
        #expect(claimDevice?["code"] as? Int == 200)
        let deviceClaim = await platform.waitFor("v1/gateway/claim")
        #expect((deviceClaim?["Meter 1"] as? [String: Any])?["secretKey"] as? String == "k1")
        #expect((deviceClaim?["Meter 1"] as? [String: Any])?["durationMs"] as? Int == 60000)
        let unknown = try await platform.gatewayRPC(id: 10, method: "gateway_claim", params: ["device": "Nobody", "secretKey": "k"]) as? [String: Any]
        #expect(unknown?["code"] as? Int == 404)

        // Reboot without thingsboard.allowReboot: a service restart, said so; "{}" means 1 s.
        let reboot = try await platform.gatewayRPC(id: 11, method: "gateway_reboot", params: "{}") as? [String: Any]
        #expect(reboot?["success"] as? Bool == true && reboot?["reboot"] as? Bool == false && reboot?["restartInSeconds"] as? Double == 1)
        #expect(gateway.gateway.restart.isRequested && !gateway.gateway.restart.isRebootRequested)
        #expect(await eventually(within: 5) { gateway.logs.messages.contains("stopped") })
        await gateway.stop()
        await platform.stop()
    }

    @Test("gateway_reboot with thingsboard.allowReboot asks for a reboot")
    func rebootAllowed() async throws {
        let broker = try MosquittoBroker()
        let platform = try await PlatformStandIn(brokerPort: broker.port)
        let gateway = try GatewayHarness(brokerPort: broker.port, connectors: [("test", "Test", "test.json", twoDevices)],
                                         factories: [TestConnectorFactory()], thingsboardExtra: #", "allowReboot": true, "statistics": {"enable": false}"#)
        #expect(await gateway.waitUntilConnected())
        let reboot = try await platform.gatewayRPC(id: 1, method: "gateway_reboot", params: 0.1) as? [String: Any]
        #expect(reboot?["success"] as? Bool == true && reboot?["reboot"] as? Bool == true)
        #expect(gateway.gateway.restart.isRebootRequested)
        await gateway.stop()
        await platform.stop()
    }
}

/// Plays the platform's provisioning side: answers `/provision/request` with `answer`.
final class ProvisioningStandIn: Sendable {
    let client: MQTTClient
    private let received = Mutex<[[UInt8]]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let answer: @Sendable ([String: Any]) -> String

    init(brokerPort: Int, answer: @escaping @Sendable ([String: Any]) -> String) async throws {
        self.answer = answer
        client = try MQTTClient(configuration: MQTTConfiguration(host: "127.0.0.1", port: brokerPort, clientID: "tb-provisioning", protocolVersion: .v311,
                                                                 reconnect: Backoff(initialSeconds: 0.05, maximumSeconds: 0.2)),
                                logger: Logger(label: "provisioning-stand-in"))
        client.subscribe("/provision/request")
        let events = client.events
        let consumer = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                if case .message(let message) = event, message.topic == "/provision/request" { await self.handle(message.payload) }
            }
        }
        task.withLock { $0 = consumer }
        client.start()
        guard await eventually(within: 10, { self.client.isReady }) else { throw TestSupportError("provisioning stand-in did not connect") }
    }

    private func handle(_ payload: [UInt8]) async {
        received.withLock { $0.append(payload) }
        guard let request = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { return }
        try? await client.publish(topic: "/provision/response", payload: Array(answer(request).utf8))
    }

    /// The provision requests received, parsed.
    var requests: [[String: Any]] {
        received.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
    }

    func stop() async {
        await client.stop()
        task.withLock { $0?.cancel() }
    }
}

@Suite("provisioning against a real mosquitto and a stand-in answering the provision request",
       .enabled(if: MosquittoBroker.isAvailable, "mosquitto is not installed"))
struct ProvisioningTests {
    func writeConfig(_ folder: URL, port: Int, provisioning: String) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = """
        {"thingsboard": {"host": "127.0.0.1", "port": \(port), "reconnectMaxSeconds": 1\(provisioning)},
         "storage": {"type": "memory"}, "connectors": [{"type": "test", "name": "Test", "configuration": "test.json"}]}
        """
        try config.write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        try twoDevices.write(to: folder.appendingPathComponent("test.json"), atomically: true, encoding: .utf8)
        return folder.appendingPathComponent("config.json")
    }

    @Test("first start provisions (gateway: true), stores the credentials 0600, and the next start uses them without asking again")
    func provisionsOnce() async throws {
        let broker = try MosquittoBroker()
        let standIn = try await ProvisioningStandIn(brokerPort: broker.port) { _ in
            #"{"status": "SUCCESS", "credentialsType": "ACCESS_TOKEN", "credentialsValue": "provisioned-token-1"}"#
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-prov-\(UUID().uuidString)")
        let file = try writeConfig(folder, port: broker.port, provisioning: #", "provisioning": {"type": "ACCESS_TOKEN", "provisionDeviceKey": "key-1", "provisionDeviceSecret": "secret-1", "deviceName": "Plant gateway", "timeoutSeconds": 10}"#)
        let logger = Logger(label: "test")

        var setup = try GatewaySetup.load(configFile: file, factories: [TestConnectorFactory()], environment: [:], logger: logger)
        try await setup.applyProvisioning(logger: logger)
        #expect(setup.config.thingsboard.security == .accessToken("provisioned-token-1"))
        let request = try #require(standIn.requests.first)
        #expect(request["gateway"] as? Bool == true)
        #expect(request["provisionDeviceKey"] as? String == "key-1" && request["provisionDeviceSecret"] as? String == "secret-1")
        #expect(request["deviceName"] as? String == "Plant gateway" && request["credentialsType"] as? String == "ACCESS_TOKEN")
        let stored = setup.config.dataFolder.appendingPathComponent("provisioned-credentials.json").path
        let attributes = try FileManager.default.attributesOfItem(atPath: stored)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        // The next start: the saved credentials, no new request; the gateway connects with them.
        var again = try GatewaySetup.load(configFile: file, factories: [TestConnectorFactory()], environment: [:], logger: logger)
        try await again.applyProvisioning(logger: logger)
        #expect(again.config.thingsboard.security == .accessToken("provisioned-token-1"))
        #expect(standIn.requests.count == 1)
        let gateway = try Gateway(setup: again, logger: logger)
        let run = Task { await gateway.run() }
        #expect(await eventually { gateway.platform.isConnected })
        #expect(gateway.platform.client.configuration.username == "provisioned-token-1")
        gateway.requestShutdown()
        await run.value
        await standIn.stop()
    }

    @Test("TB_GW_PROVISIONING_* variables provision with MQTT_BASIC; a refusal is an error naming the platform's reason")
    func environmentAndRefusal() async throws {
        let broker = try MosquittoBroker()
        let standIn = try await ProvisioningStandIn(brokerPort: broker.port) { request in
            request["provisionDeviceSecret"] as? String == "wrong"
                ? #"{"status": "NOT_FOUND", "errorMsg": "Failed to provision device!"}"#
                : #"{"status": "SUCCESS", "credentialsType": "MQTT_BASIC", "credentialsValue": {"clientId": "c1", "userName": "u1", "password": "p1"}}"#
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-prov-\(UUID().uuidString)")
        let file = try writeConfig(folder, port: broker.port, provisioning: "")
        let logger = Logger(label: "test")
        let environment = ["TB_GW_PROVISIONING_DEVICE_KEY": "k", "TB_GW_PROVISIONING_DEVICE_SECRET": "s", "TB_GW_PROVISIONING_DEVICE_USERNAME": "u1"]
        var setup = try GatewaySetup.load(configFile: file, factories: [TestConnectorFactory()], environment: environment, logger: logger)
        try await setup.applyProvisioning(logger: logger)
        #expect(setup.config.thingsboard.security == .usernamePassword(clientID: "c1", username: "u1", password: "p1"))
        let request = try #require(standIn.requests.first)
        #expect(request["credentialsType"] as? String == "MQTT_BASIC" && request["username"] as? String == "u1" && request["gateway"] as? Bool == true)

        let other = FileManager.default.temporaryDirectory.appendingPathComponent("ironbridge-prov-\(UUID().uuidString)")
        let refusedFile = try writeConfig(other, port: broker.port, provisioning: "")
        var refused = try GatewaySetup.load(configFile: refusedFile, factories: [TestConnectorFactory()],
                                            environment: ["TB_GW_PROVISIONING_DEVICE_KEY": "k", "TB_GW_PROVISIONING_DEVICE_SECRET": "wrong"], logger: logger)
        do {
            try await refused.applyProvisioning(logger: logger)
            Issue.record("a refused provisioning must throw")
        } catch {
            #expect("\(error)".contains("NOT_FOUND") && "\(error)".contains("Failed to provision device!"))
        }
        #expect(!FileManager.default.fileExists(atPath: refused.config.dataFolder.appendingPathComponent("provisioned-credentials.json").path))
        await standIn.stop()
    }
}
