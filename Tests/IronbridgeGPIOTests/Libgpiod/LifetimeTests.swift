import CGPIODMock
import IronbridgeGPIO
import Testing

extension LibgpiodBackendTests {
    @Suite("Handles are freed by their owner (mocked chip)",
           .enabled(if: GPIOTestEnvironment.isMock))
    struct LifetimeTests {
        @Test func droppingTheHandleReleasesTheLine() throws {
            let mock = MockChip()
            let chip = try mock.open()
            do {
                let line = try chip.requestLine(offset: 17, .output(initialValue: true))
                #expect(mock.isRequested(17))
                _ = line
            }
            #expect(!mock.isRequested(17))
            _ = try chip.requestLine(offset: 17, .input())
        }

        @Test func explicitReleaseFreesTheLineAtOnce() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 4, .input(edge: .both))
            line.release()
            #expect(!mock.isRequested(4))
            #expect(line.isReleased)
        }

        @Test func chipClosesAfterItsLastLine() throws {
            let mock = MockChip()
            var line: (any GPIOLineProtocol)? = try mock.open().requestLine(offset: 1, .output())
            #expect(mock.openHandles() == 1, "the line keeps its chip open")
            #expect(line?.chipName == mock.name)
            line = nil
            #expect(mock.openHandles() == 0)
            #expect(!mock.isRequested(1))
        }
    }
}
