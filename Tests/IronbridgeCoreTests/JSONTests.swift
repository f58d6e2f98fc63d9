import IronbridgeCore
import Testing

@Suite("JSON parsing and writing")
struct JSONTests {
    @Test("parses every kind of value and keeps integers apart from doubles")
    func parsesValues() throws {
        let value = try JSONValue.parse(#"{"i": 42, "n": -7, "d": 1.5, "e": 1e3, "t": true, "f": false, "z": null, "s": "a\"b\\c\u00e9\ud83d\ude00", "a": [1, [2], {}]}"#)
        #expect(value["i"] == .int(42))
        #expect(value["n"] == .int(-7))
        #expect(value["d"] == .double(1.5))
        #expect(value["e"] == .double(1000))
        #expect(value["t"] == .bool(true))
        #expect(value["f"] == .bool(false))
        #expect(value["z"] == .null)
        #expect(value["s"] == .string("a\"b\\cé😀"))
        #expect(value["a"] == .array([.int(1), .array([.int(2)]), .object([:])]))
    }

    @Test("rejects malformed input with the byte offset", arguments: ["", "{", "{\"a\" 1}", "[1,]", "tru", "\"abc", "{\"a\":1} x", "01x", "\"\\x\"", "-", "[1e999]"])
    func rejectsMalformed(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test("deep nesting is rejected, not a crash")
    func deepNesting() {
        let text = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test("writes compact JSON that parses back to the same value")
    func roundTrip() throws {
        let value: JSONValue = ["name": "Meter \"1\"\n", "count": 3, "ratio": 0.25, "whole": 2.0, "on": true, "none": nil, "list": [1, "x", [:]]]
        let text = value.jsonString
        #expect(text == #"{"count":3,"list":[1,"x",{}],"name":"Meter \"1\"\n","none":null,"on":true,"ratio":0.25,"whole":2.0}"#)
        #expect(try JSONValue.parse(text) == value)
    }

    @Test("integers are written exactly at the extremes")
    func integerExtremes() throws {
        for number in [Int64.min, Int64.max, 0, -1, 1_700_000_000_123] {
            #expect(JSONValue.int(number).jsonString == String(number))
            #expect(try JSONValue.parse(String(number)) == .int(number))
        }
    }

    @Test("unsigned integers above Int64.max are parsed and written exactly; beyond UInt64 they become doubles")
    func unsignedIntegers() throws {
        for number: UInt64 in [17_275_436_391_653_061_650, UInt64.max, UInt64(Int64.max) + 1] {
            #expect(try JSONValue.parse(String(number)) == .uint(number))
            #expect(JSONValue.uint(number).jsonString == String(number))
            #expect(JSONValue.unsigned(number) == .uint(number))
            #expect(JSONValue.uint(number).uint64Value == number && JSONValue.uint(number).intValue == nil)
        }
        #expect(JSONValue.unsigned(42) == .int(42))
        #expect(try JSONValue.parse("18446744073709551616") == .double(18_446_744_073_709_551_616))
        #expect(try JSONValue.parse("-9223372036854775809") == .double(-9_223_372_036_854_775_809))
        let nested: JSONValue = ["v": .uint(17_275_436_391_653_061_650), "a": [.uint(UInt64.max)]]
        #expect(nested.jsonString == #"{"a":[18446744073709551615],"v":17275436391653061650}"#)
        #expect(try JSONValue.parse(nested.jsonString) == nested)
    }

    @Test("RPC params holding JSON as a string are unwrapped; other strings stay")
    func unwrapsJSONStrings() {
        #expect(JSONValue.string(#"{"pin": 23, "value": 1}"#).unwrappingJSONString == ["pin": 23, "value": 1])
        #expect(JSONValue.string("type=16int;address=0;").unwrappingJSONString == .string("type=16int;address=0;"))
        #expect(JSONValue.string("{broken").unwrappingJSONString == .string("{broken"))
        #expect(JSONValue.int(5).unwrappingJSONString == .int(5))
    }
}
