import Foundation

/// The `ironbridge` executable built next to the test binary, for tests that run the gateway
/// as its own process (to kill it, for example).
public enum IronbridgeExecutable {
    public static var path: String {
        let testBinary = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var folder = testBinary.deletingLastPathComponent()
        // On Linux the test binary is <bin>/ironbridgePackageTests.xctest.
        if folder.lastPathComponent.hasSuffix(".xctest") { folder.deleteLastPathComponent() }
        return folder.appendingPathComponent("ironbridge").path
    }

    public static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: path) }
}
