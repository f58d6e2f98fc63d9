import IronbridgeModbus
import IronbridgeSystem
import Logging

/// The connection of one line (a TCP host:port or a serial device) and its reconnect
/// state. Lives on, and is only used by, the line's own thread (it is not Sendable,
/// like the `ModbusConnection` it owns).
///
/// Reconnects follow the Python gateway's rules, per slave as there: a slave's failed
/// attempts are its `connectAttemptTimeMs` apart; after its `connectAttemptCount` of them
/// it waits its `waitAfterFailedAttemptsMs`. Meanwhile that slave's requests fail at once
/// with the last connect error, without I/O, so a dead line costs nothing. Slaves sharing
/// the line keep their own pacing (not the first slave's); one success connects them all.
final class ModbusLineSession {
    let endpoint: ModbusEndpoint
    private let logger: Logger
    private var connection: ModbusConnection?
    /// Per slave (device name): failed connect attempts in a row, and when it may try again.
    private var failedAttempts: [String: Int] = [:]
    private var nextAttemptNs: [String: UInt64] = [:]
    private var lastConnectError: ModbusError?
    private var lastRequestEndNs: UInt64 = 0
    private var currentTimeoutMs = 0
    /// After shutdown requests fail without I/O (jobs still queued get their answer).
    private(set) var isShutDown: Bool
    /// Whether the line is being stopped: no new request (nor retry) starts then, so a
    /// stop waits for at most the request in flight, not for every retry of every request.
    var stopping: () -> Bool = { false }

    init(endpoint: ModbusEndpoint, logger: Logger, shutDown: Bool = false) {
        self.endpoint = endpoint
        self.logger = logger
        self.isShutDown = shutDown
    }

    /// Runs one request for `device`: connects if needed, selects the unit, keeps the
    /// device's gap after the line's previous request, and retries timeouts and garbled
    /// replies up to `retries` times (never exceptions or a lost link).
    func request<T>(
        _ device: ModbusDeviceConfig, retries: Int, _ body: (ModbusConnection) throws(ModbusError) -> T
    ) -> Result<T, ModbusError> {
        var attempt = 0
        while true {
            let result = once(device, body)
            guard case .failure(let error) = result, attempt < retries, error.isRetryable else { return result }
            attempt += 1
        }
    }

    private func once<T>(_ device: ModbusDeviceConfig, _ body: (ModbusConnection) throws(ModbusError) -> T) -> Result<T, ModbusError> {
        do throws(ModbusError) {
            let connection = try connected(device)
            if currentTimeoutMs != device.timeoutMs {
                try connection.setResponseTimeout(.milliseconds(device.timeoutMs))
                currentTimeoutMs = device.timeoutMs
            }
            if connection.unitId != device.unitId { try connection.setSlave(device.unitId) }
            if device.delayBetweenRequestsMs > 0 {
                let gap = UInt64(device.delayBetweenRequestsMs) * 1_000_000
                let since = SystemClock.monotonicNanoseconds() &- lastRequestEndNs
                if since < gap { SystemClock.sleep(nanoseconds: gap - since) }
            }
            defer { lastRequestEndNs = SystemClock.monotonicNanoseconds() }
            return .success(try body(connection))
        } catch {
            return .failure(error)
        }
    }

    /// The open connection, connecting when allowed by the reconnect policy.
    private func connected(_ device: ModbusDeviceConfig) throws(ModbusError) -> ModbusConnection {
        if isShutDown || stopping() {
            throw ModbusError(operation: .connect, unitId: device.unitId, endpoint: endpoint.description, cause: .notConnected)
        }
        let connection = try existingOrNew()
        if connection.isConnected { return connection }
        let now = SystemClock.monotonicNanoseconds()
        if now < nextAttemptNs[device.name, default: 0], let lastConnectError { throw lastConnectError }
        do throws(ModbusError) {
            try connection.setResponseTimeout(.milliseconds(device.timeoutMs))
            currentTimeoutMs = device.timeoutMs
            try connection.connect()
        } catch {
            let policy = device.policy
            let failed = failedAttempts[device.name, default: 0] + 1
            let waitMs = failed >= policy.connectAttemptCount ? policy.waitAfterFailedAttemptsMs : policy.connectAttemptTimeMs
            failedAttempts[device.name] = failed >= policy.connectAttemptCount ? 0 : failed
            nextAttemptNs[device.name] = SystemClock.monotonicNanoseconds() + UInt64(max(waitMs, 10)) * 1_000_000
            if lastConnectError != error {
                logger.warning("Modbus \(endpoint): \(error); next attempt for '\(device.name)' in \(waitMs) ms")
            }
            lastConnectError = error
            throw error
        }
        if lastConnectError != nil { logger.info("Modbus \(endpoint): connected again") }
        failedAttempts = [:]
        nextAttemptNs = [:]
        lastConnectError = nil
        return connection
    }

    private func existingOrNew() throws(ModbusError) -> ModbusConnection {
        if let connection { return connection }
        let created = try ModbusConnection(endpoint: endpoint)
        connection = created
        return created
    }

    /// Closes the connection; later requests fail without I/O.
    func shutDown() {
        isShutDown = true
        connection?.close()
        connection = nil
    }
}

extension ModbusError {
    /// Worth another attempt at once: the reply was late, lost or garbled.
    var isRetryable: Bool {
        switch cause {
        case .timeout, .badCRC, .invalidResponse: true
        default: false
        }
    }

    /// The slave itself is unreachable or mute (as opposed to answering with an exception).
    var meansUnreachable: Bool {
        if case .exception = cause { return false }
        if case .invalidArgument = cause { return false }
        return true
    }
}
