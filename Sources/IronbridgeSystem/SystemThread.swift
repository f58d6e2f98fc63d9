#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A detached pthread (in place of Foundation's Thread): create, set `name`, `start()`.
/// The name shows in `top -H`, `ps -L` and gdb; Linux keeps its first 15 bytes.
public final class SystemThread: @unchecked Sendable {
    private let body: @Sendable () -> Void
    /// Set before `start()`.
    public var name: String?

    public init(_ body: @escaping @Sendable () -> Void) {
        self.body = body
    }

    /// Starts the thread; it runs `body` once and ends. If the system cannot create a thread
    /// (out of memory or over its thread limit), the process stops, naming the thread.
    public func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        #if canImport(Glibc)
        var handle = pthread_t()
        #else
        var handle: pthread_t? = nil
        #endif
        let rc = pthread_create(&handle, &attributes, { context in
            let thread = Unmanaged<SystemThread>.fromOpaque(context!).takeRetainedValue()
            thread.run()
            return nil
        }, context)
        pthread_attr_destroy(&attributes)
        if rc != 0 {
            Unmanaged<SystemThread>.fromOpaque(context).release()
            fatalError("pthread_create failed for thread \(name ?? "?"): \(String(cString: strerror(rc)))")
        }
    }

    private func run() {
        if let name { Self.setCurrentName(name) }
        body()
    }

    /// Names the calling thread through /proc/thread-self/comm: the name pthread_setname_np would
    /// set (Swift does not see that function; glibc declares it only under _GNU_SOURCE).
    private static func setCurrentName(_ name: String) {
        #if os(Linux)
        var bytes = Array(name.utf8.prefix(15))
        while !bytes.isEmpty, String(validating: bytes, as: UTF8.self) == nil { bytes.removeLast() }
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        #else
        _ = name.withCString { pthread_setname_np($0) }
        #endif
    }
}
