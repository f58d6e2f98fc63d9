import IronbridgeSystem
import Logging
import ServiceLifecycle
import Synchronization

/// The gateway's side of `Type=notify` (sd_notify(3)), as a service beside the ``Gateway``:
/// `READY=1` once the gateway has started its connectors; then, every half watchdog interval,
/// `WATCHDOG=1` only if every part registered in the ``HealthRegistry`` beat within the
/// interval (a stuck Modbus line, MQTT or GPIO thread stops the pings, and systemd restarts the
/// service); `STATUS=` with a one-line summary whenever it changes; `STOPPING=1` on shutdown
/// (not before a restart the platform asked for: the process re-executes itself in place).
///
/// Without `$NOTIFY_SOCKET` nothing is sent, but stalls are still logged (once per change).
public final class SystemdService: Service {
    private let gateway: Gateway
    private let notifier: SystemdNotifier?
    private let watchdogInterval: Duration?
    private let logger: Logger
    /// The last send failure logged, so that a broken socket is logged once, not every period.
    private let lastSendError = Mutex<String?>(nil)

    public init(gateway: Gateway, notifier: SystemdNotifier?, watchdogInterval: Duration?, logger: Logger) {
        self.gateway = gateway
        self.notifier = notifier
        self.watchdogInterval = watchdogInterval
        self.logger = logger
        if let watchdogInterval { gateway.monitor.health.stallLimit = watchdogInterval }
    }

    /// Reads `$NOTIFY_SOCKET` and `$WATCHDOG_USEC` from the environment.
    public convenience init(gateway: Gateway, environment: [String: String], logger: Logger) {
        self.init(gateway: gateway, notifier: SystemdNotifier(environment: environment),
                  watchdogInterval: SystemdNotifier.watchdogInterval(environment: environment), logger: logger)
    }

    public func run() async throws {
        if let watchdogInterval, notifier != nil {
            logger.info("systemd watchdog on: WATCHDOG=1 every \(Self.seconds(watchdogInterval / 2)) s while every thread that could hang beats within \(Self.seconds(watchdogInterval)) s")
        }
        try? await cancelWhenGracefulShutdown {
            try await self.waitForStart()
            var lastStatus = StatusText.summary(self.gateway.statusReport())
            self.send("READY=1\nSTATUS=\(lastStatus)")
            var stalledBefore: [String] = []
            let period = self.watchdogInterval.map { $0 / 2 } ?? .seconds(5)
            while true {
                let stalled = self.gateway.monitor.health.stalled()
                self.logChange(from: stalledBefore, to: stalled)
                stalledBefore = stalled.map(\.name)
                var message: [String] = []
                if self.watchdogInterval != nil && stalled.isEmpty { message.append("WATCHDOG=1") }
                let status = StatusText.summary(self.gateway.statusReport())
                if status != lastStatus {
                    message.append("STATUS=\(status)")
                    lastStatus = status
                }
                if !message.isEmpty { self.send(message.joined(separator: "\n")) }
                try await Task.sleep(for: period)
            }
        }
        // A restart the platform asked for re-executes this process, which then sends READY=1
        // again: systemd must not take it for a stop.
        send(gateway.restart.isRequested ? "STATUS=restarting as the platform asked" : "STOPPING=1\nSTATUS=stopping")
    }

    /// Returns once the gateway has started its connectors (bounded by the task's cancellation).
    private func waitForStart() async throws {
        while !gateway.hasStarted { try await Task.sleep(for: .milliseconds(20)) }
    }

    private func logChange(from before: [String], to now: [(name: String, silentFor: Duration)]) {
        for part in now where !before.contains(part.name) {
            let what = notifier != nil && watchdogInterval != nil ? "; systemd watchdog pings stopped" : ""
            logger.error("\(part.name) has not run for \(Self.seconds(part.silentFor)) s (stuck in a blocking call?)\(what)")
        }
        let names = Set(now.map(\.name))
        for name in before where !names.contains(name) {
            logger.notice("\(name) runs again")
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return TextFormat.fixed(value, decimals: 1)
    }

    private func send(_ message: String) {
        guard let notifier else { return }
        do {
            try notifier.send(message)
            lastSendError.withLock { $0 = nil }
        } catch {
            let text = "\(error)"
            let isNew = lastSendError.withLock { last in
                defer { last = text }
                return last != text
            }
            if isNew { logger.warning("systemd notification not sent: \(text)") }
        }
    }
}
