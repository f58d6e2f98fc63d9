import CGPIODMock
import Foundation
import GPIOConnector
import IronbridgeCore
import IronbridgeGPIO
import IronbridgeTestSupport
import Logging
import Synchronization
import Testing

/// A chip in the mocked libgpiod for one test, with a unique name (tests run in parallel, and
/// the GPIO binding's own tests use names from gpiochip100 up); removed when it goes away.
final class ConnectorMockChip: Sendable {
    private static let counter = Atomic<Int>(5_000)

    let name: String

    /// 32 lines named GPIO0...GPIO31.
    init(lineCount: UInt32 = 32) {
        name = "gpiochip\(Self.counter.add(1, ordering: .relaxed).newValue)"
        create(lineCount: lineCount)
    }

    /// A name for a chip that does not exist yet (`create()` makes it appear).
    init(absent: Void) {
        name = "gpiochip\(Self.counter.add(1, ordering: .relaxed).newValue)"
    }

    func create(lineCount: UInt32 = 32) {
        let names = (0..<Int(lineCount)).map { "GPIO\($0)" }.joined(separator: ",")
        let result = gpiod_mock_chip_create(name, "ironbridge-connector-mock", lineCount, names)
        precondition(result == 0, "gpiod_mock_chip_create \(name) failed: errno \(errno)")
    }

    deinit { gpiod_mock_chip_remove(name) }

    func drive(_ offset: UInt32, _ level: Bool, timestamp: UInt64? = nil) {
        GPIOMockLines.drive(chip: name, offset: offset, level: level, timestamp: timestamp)
    }

    /// The physical level driven on an output; nil if the line is not requested as one.
    func outputLevel(_ offset: UInt32) -> Bool? { GPIOMockLines.outputLevel(chip: name, offset: offset) }

    func isRequested(_ offset: UInt32) -> Bool { GPIOMockLines.isRequested(chip: name, offset: offset) }
    func setBusy(_ offset: UInt32, consumer: String?) { precondition(gpiod_mock_set_line_busy(name, offset, consumer) == 0) }
    func disappear() { precondition(gpiod_mock_chip_disappear(name) == 0) }
    func remove() { gpiod_mock_chip_remove(name) }
    func eventCount(_ offset: UInt32) -> Int32 { gpiod_mock_event_count(name, offset) }
    func flags(_ offset: UInt32) -> Int32 { gpiod_mock_line_flags(name, offset) }
    func debounceMicroseconds(_ offset: UInt32) -> Int { gpiod_mock_line_debounce_us(name, offset) }
}

var isMockedLibgpiod: Bool { gpiod_mock_is_forwarding() == 0 }

/// The libgpiod backend this build compiled, looking for chips where the mock keeps them (v2
/// lists a folder for chips; v1 asks the mock's iterator).
let mockedLibgpiodBackend: LibgpiodBackend = {
    #if LIBGPIOD_V2
    GPIOBackendV2(deviceDirectory: String(cString: gpiod_mock_device_directory()))
    #else
    GPIOBackendV1()
    #endif
}()

/// The connector's behaviour on a mocked chip, run against whichever libgpiod backend the build
/// compiled: its suites sit inside this one, whose name says which.
#if LIBGPIOD_V2
@Suite("GPIO connector on the libgpiod v2 backend")
struct ConnectorOnLibgpiod {}
#else
@Suite("GPIO connector on the libgpiod v1 backend")
struct ConnectorOnLibgpiod {}
#endif

func monotonicNow() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func unixMillisecondsNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

struct ConfigProblem: Error, CustomStringConvertible { var description: String }

/// Reads gpio.json text as the factory does.
func readConfiguration(_ json: String) -> (GPIOConnectorConfiguration?, ConfigDiagnostics) {
    let diagnostics = ConfigDiagnostics()
    let value = try? JSONValue.parse(json)
    let node = ConfigNode(value: value, file: "gpio.json", diagnostics: diagnostics)
    return (GPIOConnectorConfiguration.read(node), diagnostics)
}

/// A GPIO connector running in this process against an in-memory store (no MQTT): what it
/// reports is read back from the store.
final class RunningConnector: Sendable {
    let connector: GPIOConnector
    let store = UploadBuffer(capacity: 100_000)
    let registry = DeviceRegistry()
    let statistics = GatewayStatistics()
    let monitor = GatewayMonitor()
    let logs = LogCapture()
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(_ json: String, dataFolder: URL? = nil) throws {
        let (configuration, diagnostics) = readConfiguration(json)
        guard let configuration else {
            throw ConfigProblem(description: diagnostics.all.map(\.description).joined(separator: "\n"))
        }
        let logger = logs.logger(label: "gpio", level: .debug)
        connector = GPIOConnector(name: "gpio", configuration: configuration, dataFolder: dataFolder, logger: logger)
        for device in connector.devices { registry.register(device, connector: "gpio") }
        let context = ConnectorContext(connectorName: "gpio", store: store, registry: registry, statistics: statistics,
                                       platform: nil, logger: logger, monitor: monitor)
        let connector = self.connector
        task.withLock { $0 = Task { await connector.run(context: context) } }
    }

    /// Cancels `run` (graceful shutdown) and waits for it to return; the chip threads see the
    /// stop within their 100 ms tick (suites carry a time limit in case they do not).
    func stop() async {
        guard let running = task.withLock({ $0 }) else { return }
        running.cancel()
        await running.value
    }

    var uploads: [Upload] {
        get async { await store.peek(maxCount: 100_000).map(\.upload) }
    }

    /// Telemetry values of `key` for `device`, in order, with their timestamps.
    func telemetry(_ device: String, _ key: String) async -> [(ts: Int64?, value: JSONValue)] {
        await uploads.compactMap { upload -> (Int64?, JSONValue)? in
            guard case .telemetry(let record) = upload, record.device == device,
                  let point = record.values.first(where: { $0.key == key }) else { return nil }
            return (record.timestamp, point.value)
        }
    }

    func rpc(_ device: String, _ method: String, _ params: JSONValue, id: Int64 = 1) async -> JSONValue {
        await connector.handleRPC(RPCCall(device: device, id: id, method: method, params: params))
    }

    var errorCount: UInt64 { statistics.snapshot.connectorErrors["gpio"] ?? 0 }
}

extension JSONValue {
    var errorText: String? { self["error"]?.stringValue }
}
