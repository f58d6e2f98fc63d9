import CGPIODMock
import Foundation
import IronbridgeGPIO
import Testing

extension LibgpiodBackendTests {
    @Suite("Opening chips and finding lines (mocked chip)",
           .enabled(if: GPIOTestEnvironment.isMock))
    struct ChipOpeningTests {
        @Test func opensByNameAndReportsNameLabelAndLineCount() throws {
            let mock = MockChip(lineCount: 40)
            let chip = try GPIOTestEnvironment.backend.openChip(.name(mock.name))
            #expect(chip.name == mock.name)
            #expect(chip.label == mock.label)
            #expect(chip.lineCount == 40)
            #expect(chip.path == mock.path)
        }

        @Test func opensByPathNumberAndLabel() throws {
            let mock = MockChip()
            let byPath = try GPIOTestEnvironment.backend.openChip(.path(mock.path))
            let byNumber = try GPIOTestEnvironment.backend.openChip(.number(mock.number))
            let byLabel = try GPIOTestEnvironment.backend.openChip(.label(mock.label))
            #expect(byPath.name == mock.name)
            #expect(byNumber.name == mock.name)
            #expect(byLabel.name == mock.name)
            #expect(byLabel.path == mock.path)
            #expect(mock.openHandles() == 3)
        }

        @Test func labelScanClosesTheChipsItDidNotPick() throws {
            let other = MockChip()
            let mock = MockChip()
            let chip = try GPIOTestEnvironment.backend.openChip(.label(mock.label))
            #expect(chip.name == mock.name)
            #expect(other.openHandles() == 0)
            #expect(mock.openHandles() == 1)
        }

        @Test func identifierParsingPicksTheRightLookup() {
            #expect(GPIOChipIdentifier(parsing: "gpiochip0") == .name("gpiochip0"))
            #expect(GPIOChipIdentifier(parsing: "/dev/gpiochip4") == .path("/dev/gpiochip4"))
            #expect(GPIOChipIdentifier(parsing: "2") == .number(2))
            #expect(GPIOChipIdentifier(parsing: "pinctrl-bcm2711") == .label("pinctrl-bcm2711"))
        }

        @Test func backendOpensThroughTheProtocol() throws {
            let mock = MockChip()
            let backend: any GPIOBackend = GPIOTestEnvironment.backend
            let chip = try backend.openChip(GPIOChipIdentifier(parsing: mock.label))
            #expect(chip.name == mock.name)
            #expect(backend.name == "libgpiod-v\(LibgpiodBackend.apiVersion)")
            #expect(LibgpiodBackend.apiVersion == Int(gpiod_mock_api_version()), "the mock and the backend speak different APIs")
        }

        @Test func availableChipsListsEveryChipWithLabelAndLineCount() throws {
            let mock = MockChip(lineCount: 12, lineNames: [])
            let listed = GPIOTestEnvironment.backend.availableChips()
            #expect(listed.contains(GPIOChipSummary(name: mock.name, label: mock.label, lineCount: 12, path: mock.path)),
                    "\(listed)")
            #expect(listed.first { $0.name == mock.name }?.description == "\(mock.name) [\(mock.label)] (12 lines)")
            mock.disappear()
            #expect(!GPIOTestEnvironment.backend.availableChips().contains { $0.name == mock.name })
        }

        @Test func missingChipIsChipNotFoundWithErrno() {
            let error = #expect(throws: GPIOError.self) { try GPIOTestEnvironment.backend.openChip(.name("gpiochip99999")) }
            #expect(error?.kind == .chipNotFound)
            #expect(error?.errno == ENOENT)
            #expect(error?.description == "opening chip gpiochip99999 failed: No such file or directory (errno 2)")
        }

        @Test func missingLabelIsChipNotFound() {
            let error = #expect(throws: GPIOError.self) { try GPIOTestEnvironment.backend.openChip(.label("no-such-label-\(Int.random(in: 0..<1_000_000))")) }
            #expect(error?.kind == .chipNotFound)
            #expect(error?.isChipUnavailable == true)
        }

        @Test func findsLinesByName() throws {
            let mock = MockChip()
            let chip = try mock.open()
            #expect(try chip.findLine(named: "GPIO17") == 17)
            #expect(try chip.findLine(named: "GPIO0") == 0)
            let error = #expect(throws: GPIOError.self) { try chip.findLine(named: "LED") }
            #expect(error?.kind == .lineNotFound)
            #expect(error?.description.contains("line LED on \(chip.name)") == true)
        }

        @Test func lineInfoByOffsetNamesTheLineAndShowsItFree() throws {
            let mock = MockChip()
            let chip = try mock.open()
            let info = try chip.lineInfo(offset: 17)
            #expect(info.offset == 17)
            #expect(info.name == "GPIO17")
            #expect(info.isUsed == false)
            #expect(info.consumer == nil)
            #expect(try chip.lineInfo(offset: 3).name == nil)
            let error = #expect(throws: GPIOError.self) { try chip.lineInfo(offset: 32) }
            #expect(error?.kind == .lineNotFound)
        }

        @Test func lineInfoShowsTheRequest() throws {
            let mock = MockChip()
            let chip = try mock.open()
            let line = try chip.requestLine(
                offset: 5, .output(initialValue: true, drive: .openDrain, bias: .pullUp, activeLow: true, consumer: "probe"))
            let info = try chip.lineInfo(offset: 5)
            #expect(info == GPIOLineInfo(
                offset: 5, name: "GPIO5", consumer: "probe", isUsed: true, direction: .output, activeLow: true,
                bias: .pullUp, drive: .openDrain))
            line.release()
            #expect(try chip.lineInfo(offset: 5).isUsed == false)
        }

        @Test func requestsByName() throws {
            let mock = MockChip()
            let chip = try mock.open()
            let line = try chip.requestLine(named: "GPIO22", .input())
            #expect(line.offset == 22)
            #expect(line.name == "GPIO22")
            #expect(mock.isRequested(22))
            withExtendedLifetime(line) {}
        }
    }
}
