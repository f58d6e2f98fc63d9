import Foundation

/// A child process started with posix_spawn and a clean signal state.
///
/// Test runners block signals in their threads, and a child inherits that mask: a broker or
/// gateway started with Foundation's `Process` would then ignore SIGTERM. Here the child
/// gets an empty signal mask and default handlers, so SIGTERM means what it does in production.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked Sendable: `exitStatus` is only touched under `lock`; `pid` is immutable.
    public let pid: pid_t
    public let executable: String
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments`; stdout and stderr go to `outputFile` (appended) or /dev/null.
    public init(_ executable: String, _ arguments: [String], outputFile: String? = nil, environment: [String: String]? = nil) throws {
        self.executable = executable
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let output = outputFile ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, env)
        guard rc == 0 else { throw TestSupportError("posix_spawn \(executable) failed: \(String(cString: strerror(rc)))") }
        pid = child
    }

    deinit {
        if isRunning { kill(pid, SIGKILL) }
        _ = waitForExit(timeout: 5)
    }

    /// Reaps the child if it exited; true while it runs.
    public var isRunning: Bool {
        lock.withLock {
            if exitStatus != nil { return false }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { exitStatus = status; return false }
            return result == 0
        }
    }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits up to `timeout` seconds; returns the exit code (or 128 + signal), nil if still running.
    @discardableResult
    public func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while isRunning && Date() < deadline { usleep(5_000) }
        return lock.withLock {
            guard let status = exitStatus else { return nil }
            let signal = status & 0x7F
            return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        }
    }
}
