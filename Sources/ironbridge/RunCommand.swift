import ArgumentParser
import FoundationEssentials
import IronbridgeCore
import IronbridgeSystem
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the gateway until SIGTERM or SIGINT.")

    @OptionGroup var options: CommonOptions

    @Option(name: .customLong("status-socket"),
            help: "The Unix socket `ironbridge status` asks (default: $IRONBRIDGE_STATUS_SOCKET, else status.sock in the data folder).")
    var statusSocket: String?

    func run() async throws {
        var setup: GatewaySetup
        let preliminary = Logger(label: "ironbridge")
        do {
            setup = try GatewaySetup.load(configFile: options.configURL, factories: Connectors.factories, logger: preliminary)
        } catch {
            printDiagnostics(error)
            throw ExitCode(2)
        }
        let level = options.logLevel.flatMap(Logger.Level.init(rawValue:)) ?? setup.config.logLevel
        let remoteLog = RemoteLog()
        let logger = LogSetup.bootstrap(level: level, remoteLog: remoteLog)
        for warning in setup.diagnostics where warning.severity == .warning { logger.warning("\(warning)") }
        do {
            try await setup.applyProvisioning(logger: logger)
        } catch {
            logger.critical("provisioning failed: \(error)")
            throw ExitCode(1)
        }
        let gateway = try Gateway(setup: setup, logger: logger, remoteLog: remoteLog)
        let environment = ProcessInfo.processInfo.environment
        // Shut down in reverse order: the status socket and systemd's STOPPING=1 first, then the gateway.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: gateway)]
        services.append(.init(service: SystemdService(gateway: gateway, environment: environment, logger: logger)))
        services.append(.init(service: MemoryTrimService(logger: logger)))
        let socketPath = StatusSocketPath.forRun(option: statusSocket, config: setup.config, environment: environment)
        do {
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: socketPath).deletingLastPathComponent().path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o750])
            services.append(.init(service: try StatusService(gateway: gateway, path: socketPath, logger: logger)))
        } catch {
            logger.error("ironbridge status will not answer: \(error)")
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        if gateway.restart.isRebootRequested {
            logger.notice("rebooting the machine as the platform asked (thingsboard.allowReboot is true)")
            // Once systemd has the reboot job, exit: the service comes back with the machine.
            if Restart.reboot() { return }
        }
        if gateway.restart.isRequested {
            logger.notice("restarting as the platform asked")
            Restart.execSelf()
        }
    }
}

/// Replaces the process with a fresh copy of itself, with the same arguments.
enum Restart {
    /// Asks systemd to reboot the machine (`systemctl reboot`); false when that could not be
    /// started or failed, so the caller restarts the service instead.
    static func reboot() -> Bool {
        var pid: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("systemctl"), strdup("reboot"), nil]
        defer { for argument in arguments { free(argument) } }
        guard posix_spawnp(&pid, "systemctl", nil, nil, arguments, environ) == 0 else {
            StandardStream.writeError("ironbridge: reboot failed: systemctl could not be started; restarting the service instead\n")
            return false
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        if status != 0 { StandardStream.writeError("ironbridge: systemctl reboot failed (status \(status)); restarting the service instead\n") }
        return status == 0
    }

    static func execSelf() {
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        // Only reached when execv failed.
        StandardStream.writeError("ironbridge: restart failed: \(String(cString: strerror(errno)))\n")
        exit(1)
    }
}
