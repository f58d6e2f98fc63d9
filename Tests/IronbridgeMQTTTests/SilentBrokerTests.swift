import Foundation
@testable import IronbridgeMQTT
import IronbridgeTestSupport
import Testing

@Suite("a broker that accepts the connection and never answers")
struct SilentBrokerTests {
    @Test("the failure says what happened (no CONNACK, or the keep-alive), never libmosquitto's 'Unknown error.'")
    func silentBroker() async throws {
        let silent = try SilentListener()
        let client = try makeClient(port: silent.port, clientID: "silent")
        let log = EventLog(client)
        client.start()
        #expect(await eventually(within: 25) { !log.connectFailures.isEmpty }, "no failure reported")
        let reason = log.connectFailures.first?.0 ?? ""
        #expect(!reason.contains("Unknown error"), "\(reason)")
        #expect(reason.contains("CONNACK") || reason.contains("keep-alive"), "\(reason)")
        await client.stop()
    }

    @Test("libmosquitto codes without a text of their own get one")
    func codeTexts() {
        #expect(MQTTSession.text(of: 19, keepAliveSeconds: 10) == "the broker did not answer within the keep-alive time (keep_alive 10 s)")
        #expect(MQTTSession.text(of: 31, keepAliveSeconds: 10) == "libmosquitto error 31")
        #expect(MQTTSession.text(of: 7, keepAliveSeconds: 10) == "The connection was lost.")
    }
}
