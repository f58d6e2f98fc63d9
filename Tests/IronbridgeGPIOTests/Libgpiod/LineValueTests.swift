import CGPIODMock
import IronbridgeGPIO
import Testing

extension LibgpiodBackendTests {
    @Suite("Reading and writing line values (mocked chip)",
           .enabled(if: GPIOTestEnvironment.isMock))
    struct LineValueTests {
        @Test func inputReadsTheDrivenLevel() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 4, .input())
            mock.drive(4, true)
            #expect(try line.value() == true)
            mock.drive(4, false)
            #expect(try line.value() == false)
            #expect(mock.requestType(4) == Int32(GPIOD_MOCK_REQUEST_DIRECTION_INPUT))
            #expect(mock.consumer(4) == "ironbridge")
            withExtendedLifetime(line) {}
        }

        @Test func outputDrivesTheInitialValueThenWrites() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 18, .output(initialValue: true))
            #expect(mock.outputLevel(18) == true)
            try line.setValue(false)
            #expect(mock.outputLevel(18) == false)
            #expect(try line.value() == false)
            try line.setValue(true)
            #expect(mock.outputLevel(18) == true)
            #expect(try line.value() == true)
            #expect(mock.requestType(18) == Int32(GPIOD_MOCK_REQUEST_DIRECTION_OUTPUT))
            withExtendedLifetime(line) {}
        }

        @Test func activeLowInvertsInputsAndOutputs() throws {
            let mock = MockChip()
            let chip = try mock.open()
            let input = try chip.requestLine(offset: 6, .input(activeLow: true))
            mock.drive(6, false)
            #expect(try input.value() == true)
            mock.drive(6, true)
            #expect(try input.value() == false)

            let output = try chip.requestLine(offset: 7, .output(initialValue: true, activeLow: true))
            #expect(mock.outputLevel(7) == false)
            try output.setValue(false)
            #expect(mock.outputLevel(7) == true)
            #expect(mock.flags(7) & Int32(GPIOD_MOCK_FLAG_ACTIVE_LOW) != 0)
            withExtendedLifetime((input, output)) {}
        }

        @Test(arguments: [
            (GPIOBias.asIs, Int32(0)),
            (.disabled, Int32(GPIOD_MOCK_FLAG_BIAS_DISABLE)),
            (.pullUp, Int32(GPIOD_MOCK_FLAG_BIAS_PULL_UP)),
            (.pullDown, Int32(GPIOD_MOCK_FLAG_BIAS_PULL_DOWN)),
        ])
        func biasReachesTheRequestFlags(bias: GPIOBias, flag: Int32) throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 9, .input(bias: bias))
            #expect(mock.flags(9) == flag)
            #expect(line.request.bias == bias)
        }

        @Test func pullUpMakesAnUndrivenInputReadHigh() throws {
            let mock = MockChip()
            let chip = try mock.open()
            let pulledUp = try chip.requestLine(offset: 10, .input(bias: .pullUp))
            let pulledDown = try chip.requestLine(offset: 11, .input(bias: .pullDown))
            #expect(try pulledUp.value() == true)
            #expect(try pulledDown.value() == false)
        }

        @Test(arguments: [
            (GPIODrive.pushPull, Int32(0)),
            (.openDrain, Int32(GPIOD_MOCK_FLAG_OPEN_DRAIN)),
            (.openSource, Int32(GPIOD_MOCK_FLAG_OPEN_SOURCE)),
        ])
        func driveReachesTheRequestFlags(drive: GPIODrive, flag: Int32) throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 12, .output(drive: drive))
            #expect(mock.flags(12) == flag)
            withExtendedLifetime(line) {}
        }

        @Test func edgeRequestsUseTheEventRequestTypes() throws {
            let mock = MockChip()
            let chip = try mock.open()
            let expected: [(GPIOEdgeDetection, Int)] = [
                (.rising, GPIOD_MOCK_REQUEST_EVENT_RISING_EDGE), (.falling, GPIOD_MOCK_REQUEST_EVENT_FALLING_EDGE),
                (.both, GPIOD_MOCK_REQUEST_EVENT_BOTH_EDGES),
            ]
            var lines: [any GPIOLineProtocol] = []
            for (index, (edge, type)) in expected.enumerated() {
                lines.append(try chip.requestLine(offset: UInt32(20 + index), .input(edge: edge)))
                #expect(mock.requestType(UInt32(20 + index)) == Int32(type))
            }
        }

        @Test func writingAnInputIsRefusedWithoutTouchingTheLine() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 4, .input())
            let error = #expect(throws: GPIOError.self) { try line.setValue(true) }
            #expect(error?.kind == .permissionDenied)
            #expect(mock.outputLevel(4) == nil)
        }

        @Test func customConsumerIsShownToOthers() throws {
            let mock = MockChip()
            let line = try mock.open().requestLine(offset: 2, .input(consumer: "gateway-test"))
            #expect(mock.consumer(2) == "gateway-test")
            withExtendedLifetime(line) {}
        }
    }
}
