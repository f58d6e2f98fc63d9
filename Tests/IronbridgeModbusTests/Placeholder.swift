import Testing

@Test func placeholder_IronbridgeModbusTests() { #expect(Bool(true)) }
