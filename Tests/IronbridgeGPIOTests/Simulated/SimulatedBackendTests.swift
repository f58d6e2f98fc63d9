import Foundation
import IronbridgeGPIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Simulated GPIO backend")
struct SimulatedBackendTests {
    let chip = SimulatedGPIOChip(name: "gpiochip0", label: "sim-label", lineNames: ["BUTTON", "LED", nil, "DOOR"])

    @Test func backendOpensTheChipByNamePathNumberAndLabel() throws {
        let backend: any GPIOBackend = SimulatedGPIOBackend(chips: [chip])
        for identifier in ["gpiochip0", "/dev/gpiochip0", "0", "sim-label"] {
            #expect(try backend.openChip(GPIOChipIdentifier(parsing: identifier)) === chip)
        }
        let error = #expect(throws: GPIOError.self) { try backend.openChip(.name("gpiochip7")) }
        #expect(error?.kind == .chipNotFound)
        #expect(backend.name == "simulated")
    }

    @Test func findsNamedLines() throws {
        #expect(try chip.findLine(named: "DOOR") == 3)
        #expect(chip.lineCount == 4)
        let error = #expect(throws: GPIOError.self) { try chip.findLine(named: "FAN") }
        #expect(error?.kind == .lineNotFound)
        #expect(try chip.lineInfo(offset: 2).name == nil)
    }

    @Test func outputsReadBack() throws {
        let led = try chip.requestLine(named: "LED", .output(initialValue: true))
        #expect(chip.outputLevel(offset: 1) == true)
        try led.setValue(false)
        #expect(chip.outputLevel(offset: 1) == false)
        #expect(try led.value() == false)
        let inverted = try chip.requestLine(offset: 2, .output(initialValue: true, activeLow: true))
        #expect(chip.outputLevel(offset: 2) == false)
        _ = inverted
        #expect(chip.outputLevel(offset: 0) == nil)
    }

    @Test func inputsDrivenFromCodeProduceEdgesThroughTheWait() async throws {
        let button = try chip.requestLine(named: "BUTTON", .input(edge: .both))
        async let woke = onDedicatedThread { try button.waitForEdgeEvents(timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(100))
        try chip.setInputLevel(offset: 0, true, timestampNanoseconds: 42)
        #expect(try await woke == true)
        #expect(try button.readEdgeEvents(maxCount: 8) == [GPIOEdgeEvent(type: .rising, timestampNanoseconds: 42, offset: 0)])
        #expect(try button.value() == true)
    }

    @Test func togglingWithAPeriodProducesTimedAlternatingEdges() throws {
        let door = try chip.requestLine(named: "DOOR", .input(edge: .both))
        try chip.startToggling(offset: 3, period: .milliseconds(20))
        defer { chip.stopToggling(offset: 3) }
        var events: [GPIOEdgeEvent] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while events.count < 4 && ContinuousClock.now < deadline {
            events += try door.nextEdgeEvents(timeout: .seconds(1))
        }
        try #require(events.count >= 4)
        #expect(events.prefix(4).map(\.type) == [.rising, .falling, .rising, .falling])
        let gaps = zip(events.dropFirst(), events).map { $0.timestampNanoseconds - $1.timestampNanoseconds }
        #expect(gaps.allSatisfy { $0 == 20_000_000 }, "toggles are stamped at their exact due times: \(gaps)")
    }

    @Test func risingOnlyAndActiveLowFollowTheKernelRules() throws {
        let rising = try chip.requestLine(offset: 0, .input(edge: .rising, activeLow: true))
        try chip.setInputLevel(offset: 0, true)  // logical fall: not reported
        try chip.setInputLevel(offset: 0, false)  // logical rise
        let events = try rising.nextEdgeEvents(timeout: .seconds(5))
        #expect(events.map(\.type) == [.rising])
    }

    @Test func eventFileDescriptorPolls() throws {
        let button = try chip.requestLine(offset: 0, .input(edge: .both))
        let fd = try #require(button.eventFileDescriptor)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pfd, 1, 0) == 0)
        try chip.setInputLevel(offset: 0, true)
        #expect(poll(&pfd, 1, 5_000) == 1)
        #expect(try button.readEdgeEvents(maxCount: 4).count == 1)
        pfd.revents = 0
        #expect(poll(&pfd, 1, 0) == 0, "reading drains the doorbell")
    }

    @Test func busyAndReleaseBehaveLikeTheRealChip() throws {
        var line: (any GPIOLineProtocol)? = try chip.requestLine(offset: 1, .output())
        let error = #expect(throws: GPIOError.self) { try chip.requestLine(offset: 1, .input()) }
        #expect(error?.kind == .busy)
        #expect(error?.description == "requesting line 1 (LED) on gpiochip0 as input failed: Device or resource busy (errno 16)")
        #expect(chip.isRequested(offset: 1))
        line = nil
        _ = line
        #expect(!chip.isRequested(offset: 1))
        chip.holdLine(offset: 1, consumer: "someone")
        #expect(try chip.lineInfo(offset: 1).consumer == "someone")
        #expect(throws: GPIOError.self) { try chip.requestLine(offset: 1, .input()) }
    }

    @Test func writingAnInputIsRefused() throws {
        let line = try chip.requestLine(offset: 0, .input())
        let error = #expect(throws: GPIOError.self) { try line.setValue(true) }
        #expect(error?.kind == .permissionDenied)
    }

    @Test func disappearedChipFailsWithChipGone() throws {
        let line = try chip.requestLine(offset: 1, .output())
        chip.disappear()
        let error = #expect(throws: GPIOError.self) { try line.setValue(true) }
        #expect(error?.kind == .chipGone)
        let open = #expect(throws: GPIOError.self) { try SimulatedGPIOBackend(chips: [chip]).openChip(.name("gpiochip0")) }
        #expect(open?.kind == .chipNotFound)
    }

    @Test func togglerStopsWhenTheChipGoes() async throws {
        weak var weakChip: SimulatedGPIOChip?
        do {
            let chip = SimulatedGPIOChip(lineCount: 1)
            weakChip = chip
            try chip.startToggling(offset: 0, period: .milliseconds(5))
            try await Task.sleep(for: .milliseconds(30))
        }
        #expect(await eventually { weakChip == nil }, "the toggler thread must not keep the chip alive")
    }

    @Test func raspberryPiShapedChip() throws {
        let pi = SimulatedGPIOChip.raspberryPi()
        #expect(pi.label == "pinctrl-bcm2711")
        #expect(try pi.findLine(named: "GPIO23") == 23)
    }
}
