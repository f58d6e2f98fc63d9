import Foundation
import IronbridgeCore
import IronbridgeModbus
import IronbridgeTestSupport
@testable import ModbusConnector
import Testing

@Suite("Modbus: ON_REPORT_PERIOD runs on a timer, as in the Python gateway")
struct ReportPeriodTests {
    @Test("the latest value is resent every report period between polls that are much rarer")
    func timerBetweenPolls() async throws {
        let server = try tcpServer()
        defer { server.stop() }
        server.setRegisters(.holding, at: 0, [41, 7])
        let rig = try ConnectorRig("""
        {"master": {"slaves": [{"deviceName": "P", "host": "127.0.0.1", "port": \(server.port!), "pollPeriod": 600000, "timeout": 1,
          "timeseries": [{"tag": "level", "type": "16uint", "functionCode": 3, "address": 0, "byteOrder": "BIG",
                          "reportStrategy": {"type": "ON_REPORT_PERIOD", "reportPeriod": 200}},
                         {"tag": "other", "type": "16uint", "functionCode": 3, "address": 1, "byteOrder": "BIG",
                          "reportStrategy": {"type": "ON_CHANGE"}}]}]}}
        """)
        #expect(await eventually(within: 10) { await rig.telemetry(of: "P").filter { $0.values.contains { $0.key == "level" } }.count >= 5 })
        await rig.stop()
        #expect(server.requestCount(.readHoldingRegisters) == 1)
        let records = await rig.telemetry(of: "P")
        let levels = records.filter { $0.values.contains { $0.key == "level" } }
        #expect(levels.allSatisfy { $0.values.first { $0.key == "level" }?.value == 41 })
        // Each periodic report is stamped when it is sent, one period (200 ms) or more apart.
        let stamps = levels.compactMap(\.timestamp)
        for (earlier, later) in zip(stamps, stamps.dropFirst()) { #expect(later - earlier >= 150, "\(stamps)") }
        // ON_CHANGE keys are not resent by the timer.
        #expect(records.filter { $0.values.contains { $0.key == "other" } }.count == 1)
    }

    @Test("the filter: first value at once, then by period only; ON_CHANGE_OR_REPORT_PERIOD also on change")
    func filter() {
        var period = ModbusReportFilter(strategy: ModbusReportStrategy(kind: .onReportPeriod, reportPeriodMs: 1000))
        let r1 = period.admit(1, nowMs: 0)
        #expect(r1)
        let r2 = period.admit(2, nowMs: 10)
        #expect(!r2)
        #expect(period.nextPeriodicMs == 1000)
        let r3 = period.periodic(nowMs: 999)
        #expect(r3 == nil)
        let r4 = period.periodic(nowMs: 1000)
        #expect(r4 == 2)
        #expect(period.nextPeriodicMs == 2000)
        period.reset()
        let afterReset = period.periodic(nowMs: 5000)
        #expect(period.nextPeriodicMs == nil && afterReset == nil)

        var either = ModbusReportFilter(strategy: ModbusReportStrategy(kind: .onChangeOrReportPeriod, reportPeriodMs: 1000))
        let r5 = either.admit(1, nowMs: 0)
        #expect(r5)
        let r6 = either.admit(1, nowMs: 100)
        #expect(!r6)
        let r7 = either.admit(3, nowMs: 200)
        #expect(r7)
        let r8 = either.periodic(nowMs: 1000)
        #expect(r8 == 3)
    }
}
