import ArgumentParser
import FoundationEssentials
import IronbridgeCore
import IronbridgeSystem

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Ask the running gateway what it is doing (over its local status socket).",
        discussion: """
        Prints the platform connection, each device with the time of its last value and its errors, \
        the records buffered, and the Modbus round trips per line. The socket is --socket, else \
        $IRONBRIDGE_STATUS_SOCKET, else status.sock in the data folder of --config (default \
        ./config.json, then /etc/ironbridge/config.json), else /var/lib/ironbridge/status.sock. \
        Exits with status 1 when no gateway answers.
        """)

    @Option(name: .long, help: "The gateway's status socket.") var socket: String?
    @Option(name: .shortAndLong, help: "The gateway's configuration (to find its data folder).") var config: String?
    @Flag(name: .long, help: "Print the report as JSON, for scripts.") var json = false

    func run() throws {
        let path = StatusSocketPath.forStatus(option: socket, configPath: config, environment: ProcessInfo.processInfo.environment)
        let report: JSONValue
        do {
            report = try StatusClient.fetch(path: path)
        } catch {
            StandardStream.writeError("ironbridge status: \(error)\n")
            throw ExitCode(1)
        }
        print(json ? report.jsonString : StatusText.report(report))
    }
}
