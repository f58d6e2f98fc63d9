import Testing

@Test func placeholderGPIOConnector() { #expect(Bool(true)) }
