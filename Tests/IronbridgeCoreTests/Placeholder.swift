import Testing

@Test func placeholder_IronbridgeCoreTests() { #expect(Bool(true)) }
