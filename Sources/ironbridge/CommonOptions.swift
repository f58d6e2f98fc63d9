import ArgumentParser
import FoundationEssentials
import GPIOConnector
import IronbridgeCore
import IronbridgeSystem
import ModbusConnector
import Logging

struct CommonOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The gateway configuration file.")
    var config: String = "config.json"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (default: logLevel in the config, else info).")
    var logLevel: String?

    var configURL: URL { URL(fileURLWithPath: config) }

    func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
        }
    }
}

/// Sends swift-log output to stderr once, at the level given: for journald (no timestamps,
/// syslog priority prefixes) when `$JOURNAL_STREAM` says stderr is the journal.
enum LogSetup {
    /// With `remoteLog`, every line also goes to it (ThingsBoard's log view; docs/gateway-ui.md).
    static func bootstrap(level: Logger.Level, environment: [String: String] = ProcessInfo.processInfo.environment,
                          remoteLog: RemoteLog? = nil) -> Logger {
        let local: @Sendable (String) -> any LogHandler
        if environment["JOURNAL_STREAM"].map({ !$0.isEmpty }) == true {
            let lock = ThreadLock()
            local = { _ in JournalLogHandler(level: level, lock: lock) }
        } else {
            local = { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        if let remoteLog {
            LoggingSystem.bootstrap { label in MultiplexLogHandler([local(label), RemoteLogHandler(remote: remoteLog, level: level)]) }
        } else {
            LoggingSystem.bootstrap(local)
        }
        var logger = Logger(label: "ironbridge")
        logger.logLevel = level
        return logger
    }
}

/// The connector types this build can run.
enum Connectors {
    static var factories: [any ConnectorFactory] { [GPIOConnectorFactory(), ModbusConnectorFactory()] }
}

func printDiagnostics(_ error: ConfigError) {
    let errors = error.diagnostics.filter { $0.severity == .error }
    StandardStream.writeError("configuration has \(errors.count) error(s):\n")
    for diagnostic in error.diagnostics {
        StandardStream.writeError("  \(diagnostic)\n")
    }
}
