import Synchronization

/// One problem found in a configuration file: which file, where in it (a JSON path such as
/// `$.master.slaves[2].timeseries[0].address`), and what was expected.
public struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    public var file: String
    public var path: String
    public var message: String

    public init(severity: Severity, file: String, path: String, message: String) {
        self.severity = severity
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String { "\(severity.rawValue): \(file): \(path): \(message)" }
}

/// Collects every diagnostic of one load, so that `ironbridge check` can list them all at once.
/// A class (shared by all nodes of one load) guarded by a Mutex.
public final class ConfigDiagnostics: Sendable {
    private let items = Mutex<[ConfigDiagnostic]>([])

    public init() {}

    public func add(_ diagnostic: ConfigDiagnostic) { items.withLock { $0.append(diagnostic) } }

    public var all: [ConfigDiagnostic] { items.withLock { $0 } }
    public var errors: [ConfigDiagnostic] { all.filter { $0.severity == .error } }
    public var warnings: [ConfigDiagnostic] { all.filter { $0.severity == .warning } }
    public var hasErrors: Bool { !errors.isEmpty }
}

/// Thrown when a configuration has errors; carries all of them.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ConfigDiagnostic]

    public init(_ diagnostics: [ConfigDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String {
        diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "\n")
    }
}
