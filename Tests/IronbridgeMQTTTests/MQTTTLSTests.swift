import Foundation
import IronbridgeMQTT
import IronbridgeTestSupport
import Logging
import Testing

func makeTLSClient(port: Int, tls: MQTTConfiguration.TLS, username: String? = "token") throws -> MQTTClient {
    var logger = Logger(label: "mqtt-tls-test")
    logger.logLevel = .critical
    return try MQTTClient(
        configuration: MQTTConfiguration(host: "127.0.0.1", port: port, clientID: "tls-\(UUID().uuidString.prefix(6))", username: username,
                                         keepAliveSeconds: 10, tls: tls, reconnect: Backoff(initialSeconds: 0.05, maximumSeconds: 0.2)),
        logger: logger)
}

@Suite("MQTT over TLS against a real mosquitto", .enabled(if: MosquittoBroker.isAvailable && TestCertificates.isAvailable, "mosquitto or openssl is missing"))
struct MQTTTLSTests {
    @Test("the server certificate is verified against the configured CA")
    func verifiesServer() async throws {
        let pki = try TestCertificates()
        let broker = try MosquittoBroker(tls: pki)
        let trusted = try makeTLSClient(port: broker.port, tls: .init(caFile: pki.caFile))
        trusted.start()
        #expect(await eventually { trusted.isReady })
        try await trusted.publish(topic: "tls/check", payload: [1], qos: 1)
        await trusted.stop()

        let untrusted = try makeTLSClient(port: broker.port, tls: .init(caFile: pki.otherCAFile))
        let log = EventLog(untrusted)
        untrusted.start()
        #expect(await eventually { log.connectFailures.count >= 2 })
        #expect(!untrusted.isConnected)
        #expect(log.connectCount == 0)
        #expect(log.connectFailures.first?.0.contains("127.0.0.1:\(broker.port)") == true)
        await untrusted.stop()
    }

    @Test("verification is skipped only when the user opts out")
    func insecureOptOut() async throws {
        let pki = try TestCertificates()
        let broker = try MosquittoBroker(tls: pki)
        let client = try makeTLSClient(port: broker.port, tls: .init(caFile: pki.otherCAFile, insecure: true))
        client.start()
        #expect(await eventually { client.isReady })
        await client.stop()
    }

    @Test("an X.509 client certificate authenticates the gateway; without one the broker refuses")
    func clientCertificate() async throws {
        let pki = try TestCertificates()
        let broker = try MosquittoBroker(tls: pki, requireClientCertificate: true)
        let withCertificate = try makeTLSClient(port: broker.port, tls: .init(caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile), username: nil)
        withCertificate.start()
        #expect(await eventually { withCertificate.isReady })
        await withCertificate.stop()

        let without = try makeTLSClient(port: broker.port, tls: .init(caFile: pki.caFile), username: nil)
        let log = EventLog(without)
        without.start()
        #expect(await eventually { log.connectFailures.count + log.refusals.count >= 2 })
        #expect(log.connectCount == 0)
        await without.stop()
    }

    @Test("an unreadable certificate file is reported when the client is created")
    func unreadableCertificate() throws {
        #expect(throws: MQTTError.self) {
            _ = try makeTLSClient(port: 1, tls: .init(caFile: "/nonexistent/ca.pem"))
        }
    }
}
