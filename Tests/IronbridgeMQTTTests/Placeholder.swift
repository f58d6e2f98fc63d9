import Testing

@Test func placeholder_IronbridgeMQTTTests() { #expect(Bool(true)) }
