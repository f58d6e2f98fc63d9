import ArgumentParser
import IronbridgeCore
import Logging

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration and print the devices, keys and RPC methods it defines.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        do {
            let setup = try GatewaySetup.load(configFile: options.configURL, factories: Connectors.factories, logger: Logger(label: "ironbridge"))
            print(setup.report)
            print("configuration OK")
        } catch {
            printDiagnostics(error)
            throw ExitCode(2)
        }
    }
}
