import Testing

@Test func placeholder_IronbridgeGPIOTests() { #expect(Bool(true)) }
