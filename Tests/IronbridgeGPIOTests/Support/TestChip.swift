import CGPIODMock
import Foundation
import IronbridgeTestSupport
import IronbridgeGPIO
import Synchronization
import Testing

/// Where the GPIO tests run: the mocked libgpiod (default), or a real chip named by
/// IRONBRIDGE_GPIO_TEST_CHIP with lines IRONBRIDGE_GPIO_TEST_OUT (default 17) and
/// IRONBRIDGE_GPIO_TEST_IN (default 27) wired together by a jumper.
enum GPIOTestEnvironment {
    static let realChip: String? = {
        let value = ProcessInfo.processInfo.environment["IRONBRIDGE_GPIO_TEST_CHIP"]
        return value?.isEmpty == false ? value : nil
    }()
    static var isRealChip: Bool { gpiod_mock_is_forwarding() != 0 }
    static var isMock: Bool { !isRealChip }
    static let outOffset = UInt32(ProcessInfo.processInfo.environment["IRONBRIDGE_GPIO_TEST_OUT"] ?? "") ?? 17
    static let inOffset = UInt32(ProcessInfo.processInfo.environment["IRONBRIDGE_GPIO_TEST_IN"] ?? "") ?? 27

    /// The libgpiod backend this build compiled (v1 or v2), as the tests use it: on the mock, a
    /// v2 backend lists the mock's device folder for chips (v2 has no chip iterator).
    static let backend: LibgpiodBackend = {
        #if LIBGPIOD_V2
        isRealChip ? GPIOBackendV2() : GPIOBackendV2(deviceDirectory: String(cString: gpiod_mock_device_directory()))
        #else
        GPIOBackendV1()
        #endif
    }()

    /// Where the backend looks for chips by name: /dev, or the mock's folder (v2).
    static var deviceDirectory: String {
        #if LIBGPIOD_V2
        backend.deviceDirectory
        #else
        "/dev"
        #endif
    }
}

/// The libgpiod behaviour tests, run against whichever backend the build compiled: their
/// suites sit inside this one, whose name says which (the closing summary shows it too).
#if LIBGPIOD_V2
@Suite("libgpiod v2 backend (GPIOBackendV2)")
struct LibgpiodBackendTests {}
#else
@Suite("libgpiod v1 backend (GPIOBackendV1)")
struct LibgpiodBackendTests {}
#endif

/// A chip registered in the mock for one test, with a unique name so tests can run in
/// parallel; removed when the value goes away.
final class MockChip: Sendable {
    private static let counter = Atomic<Int>(100)

    let name: String
    let label: String
    let lineCount: UInt32

    /// 32 lines named GPIO0...GPIO31 except 3, which is unnamed.
    init(lineCount: UInt32 = 32, lineNames: [String]? = nil) {
        let number = Self.counter.add(1, ordering: .relaxed).newValue
        name = "gpiochip\(number)"
        label = "ironbridge-mock-\(number)"
        self.lineCount = lineCount
        let names = lineNames ?? (0..<Int(lineCount)).map { $0 == 3 ? "" : "GPIO\($0)" }
        let result = gpiod_mock_chip_create(name, label, lineCount, names.joined(separator: ","))
        precondition(result == 0, "gpiod_mock_chip_create failed: errno \(errno)")
    }

    deinit {
        gpiod_mock_chip_remove(name)
    }

    var path: String { "\(GPIOTestEnvironment.deviceDirectory)/\(name)" }
    var number: UInt32 { UInt32(name.dropFirst("gpiochip".count))! }

    func open() throws -> any GPIOChipProtocol { try GPIOTestEnvironment.backend.openChip(.name(name)) }

    func drive(_ offset: UInt32, _ level: Bool, timestamp: UInt64? = nil) {
        GPIOMockLines.drive(chip: name, offset: offset, level: level, timestamp: timestamp)
    }

    /// The physical level driven on an output; nil if it is not one.
    func outputLevel(_ offset: UInt32) -> Bool? { GPIOMockLines.outputLevel(chip: name, offset: offset) }

    func isRequested(_ offset: UInt32) -> Bool { GPIOMockLines.isRequested(chip: name, offset: offset) }

    func consumer(_ offset: UInt32) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        guard gpiod_mock_line_consumer(name, offset, &buffer, buffer.count) == 1 else { return nil }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    func flags(_ offset: UInt32) -> Int32 { gpiod_mock_line_flags(name, offset) }
    func requestType(_ offset: UInt32) -> Int32 { gpiod_mock_line_request_type(name, offset) }
    func openHandles() -> Int32 { gpiod_mock_chip_open_handles(name) }
    func lastEventTimestamp(_ offset: UInt32) -> UInt64? {
        var timestamp: UInt64 = 0
        return gpiod_mock_last_event_timestamp(name, offset, &timestamp) == 0 ? timestamp : nil
    }
    func setBusy(_ offset: UInt32, consumer: String?) {
        precondition(gpiod_mock_set_line_busy(name, offset, consumer) == 0)
    }
    func disappear() { precondition(gpiod_mock_chip_disappear(name) == 0) }
    func debounceMicroseconds(_ offset: UInt32) -> Int { gpiod_mock_line_debounce_us(name, offset) }
    func eventClock(_ offset: UInt32) -> Int32 { gpiod_mock_line_event_clock(name, offset) }
    func edgeCount(_ offset: UInt32) -> Int32 { gpiod_mock_event_count(name, offset) }
}

struct TestTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Runs blocking work on a dedicated thread (never the concurrency pool), as the gateway
/// does with edge waits.
func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.name = "gpio-test-wait"
        thread.start()
    }
}

/// Polls `condition` until true or the deadline passes (for state changed by another thread).
func eventually(within timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
