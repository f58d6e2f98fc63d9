import ArgumentParser
import IronbridgeCore

@main
struct Ironbridge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ironbridge",
        abstract: "An edge gateway that bridges Modbus devices and GPIO lines to ThingsBoard.",
        version: IronbridgeVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, StatusCommand.self, SimulateCommand.self],
        defaultSubcommand: RunCommand.self)
}
