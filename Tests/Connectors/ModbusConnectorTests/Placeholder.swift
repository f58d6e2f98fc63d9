import Testing

@Test func placeholderModbusConnector() { #expect(Bool(true)) }
