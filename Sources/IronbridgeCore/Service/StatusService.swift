import Logging
import ServiceLifecycle

/// Serves ``Gateway/statusReport()`` on a Unix socket (``StatusServer``) while the gateway runs.
public final class StatusService: Service {
    private let server: StatusServer

    public init(gateway: Gateway, path: String, logger: Logger) throws(ServiceSocketError) {
        server = try StatusServer(path: path, logger: logger) { [gateway] in gateway.statusReport() }
    }

    public var path: String { server.path }

    public func run() async throws {
        server.start()
        try? await gracefulShutdown()
        await server.stop()
    }
}
