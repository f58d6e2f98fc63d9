import Testing
@testable import IronbridgeCore

@Suite("device-to-device message triggers and templates")
struct MessageTriggerTests {
    @Test func edgesNeedAPreviousLevel() {
        let both = MessageRule.Trigger.edge(.both), rising = MessageRule.Trigger.edge(.rising), falling = MessageRule.Trigger.edge(.falling)
        #expect(!both.fires(previous: nil, current: 1), "the first level is the baseline")
        #expect(both.fires(previous: 0, current: 1) && both.fires(previous: 1, current: 0) && !both.fires(previous: 1, current: 1))
        #expect(rising.fires(previous: 0, current: 1) && !rising.fires(previous: 1, current: 0))
        #expect(falling.fires(previous: true, current: false) && !falling.fires(previous: 0, current: 1))
    }

    @Test func conditionsFireWhenTheyBecomeTrue() {
        let above = MessageRule.Trigger.above(50), below = MessageRule.Trigger.below(10), equal = MessageRule.Trigger.equal(3)
        #expect(above.fires(previous: nil, current: 60) && above.fires(previous: 50, current: 50.5))
        #expect(!above.fires(previous: 60, current: 70) && !above.fires(previous: 40, current: 50) && !above.fires(previous: 40, current: "60"))
        #expect(below.fires(previous: 10, current: 9) && !below.fires(previous: 9, current: 1))
        #expect(equal.fires(previous: 2, current: 3.0) && !equal.fires(previous: 3, current: 3) && !equal.fires(previous: 3, current: 4))
        #expect(MessageRule.Trigger.equal("on").fires(previous: "off", current: "on"))
        let changed = MessageRule.Trigger.changed
        #expect(!changed.fires(previous: nil, current: 1) && changed.fires(previous: 1, current: 2) && !changed.fires(previous: 2, current: 2.0))
    }

    @Test func placeholdersKeepTheValuesTypeWhenAlone() {
        let template: JSONValue = ["v": "${value}", "t": "${ts}", "text": "${deviceName}:${key}=${value}", "list": ["${value}", 7, ["deep": "${key}"]],
                                   "other": "${unknown}", "${key}": "keys stay"]
        let rendered = MessageTemplate.render(template, deviceName: "Meter", key: "temp", value: 21.5, ts: 1_700_000_000_000)
        #expect(rendered == ["v": 21.5, "t": 1_700_000_000_000, "text": "Meter:temp=21.5", "list": [21.5, 7, ["deep": "temp"]],
                             "other": "${unknown}", "${key}": "keys stay"])
        #expect(MessageTemplate.render("door ${value}", deviceName: "D", key: "k", value: "open", ts: 0) == "door open")
        #expect(MessageTemplate.unknownPlaceholders(in: template) == ["unknown"])
    }
}
