// swift-tools-version:6.1
import Foundation
import PackageDescription

/// libgpiod's API generation, from the version pkg-config reports: 1.x (Debian 12, Raspberry Pi
/// OS 12) or 2.x (Debian 13, Raspberry Pi OS 13). It decides which backend IronbridgeGPIO
/// compiles (Sources/IronbridgeGPIO/V1 or V2) and which API the test mock of libgpiod offers.
/// IRONBRIDGE_LIBGPIOD_API=1 or 2 overrides the probe (e.g. where pkg-config is missing).
let libgpiodAPI: Int = {
    if let forced = ProcessInfo.processInfo.environment["IRONBRIDGE_LIBGPIOD_API"], let api = Int(forced) {
        return api
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["pkg-config", "--modversion", "libgpiod"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return 1 }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return Int(text.split(separator: ".").first ?? "") ?? 1
}()
let libgpiodSwiftSettings: [SwiftSetting] = libgpiodAPI >= 2 ? [.define("LIBGPIOD_V2")] : []
let libgpiodCSettings: [CSetting] = libgpiodAPI >= 2 ? [.define("IRONBRIDGE_LIBGPIOD_V2")] : []

let package = Package(
    name: "ironbridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ironbridge", targets: ["ironbridge"]),
        .library(name: "IronbridgeCore", targets: ["IronbridgeCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // C libraries, found with pkg-config. The only place for C macro work-arounds.
        .systemLibrary(
            name: "CMosquitto", pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]),
        .systemLibrary(
            name: "CModbus", pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]),
        .systemLibrary(
            name: "CGPIOD", pkgConfig: "libgpiod",
            providers: [.apt(["libgpiod-dev"])]),
        // OpenSSL's libssl, for Modbus TCP over TLS (libmodbus has no TLS).
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),

        // Threads, locks, the clock and text formatting on pthreads and Glibc, so that no module
        // needs Foundation (which would load ICU: about 11 MB of an idle gateway's RSS).
        .target(name: "IronbridgeSystem"),

        // One safe Swift wrapper per C library; the only code that imports its C module.
        .target(
            name: "IronbridgeMQTT",
            dependencies: ["CMosquitto", "IronbridgeSystem", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "IronbridgeModbus",
            dependencies: ["CModbus", "COpenSSL", "IronbridgeSystem"]),
        // libgpiod 1.x or 2.x, chosen at build time (see `libgpiodAPI` above).
        .target(
            name: "IronbridgeGPIO",
            dependencies: ["CGPIOD", "IronbridgeSystem"],
            swiftSettings: libgpiodSwiftSettings),

        // The gateway: platform API, configuration, storage, device registry, connector protocol.
        .target(
            name: "IronbridgeCore",
            dependencies: [
                "IronbridgeMQTT", "IronbridgeSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // Connectors: configuration -> sub-devices, polling, RPC handlers.
        .target(
            name: "ModbusConnector",
            dependencies: ["IronbridgeCore", "IronbridgeModbus", "IronbridgeSystem", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Connectors/Modbus"),
        .target(
            name: "GPIOConnector",
            dependencies: ["IronbridgeCore", "IronbridgeGPIO", "IronbridgeSystem", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Connectors/GPIO"),

        // Thin command line front end.
        .executableTarget(
            name: "ironbridge",
            dependencies: [
                "IronbridgeCore", "ModbusConnector", "GPIOConnector", "IronbridgeSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Benchmarks that print figures (not tests): `swift run -c release storage-benchmark`.
        .executableTarget(name: "storage-benchmark", dependencies: ["IronbridgeCore"], path: "benchmarks/storage"),

        // Test support: a real mosquitto launcher and a platform stand-in.
        .target(
            name: "IronbridgeTestSupport",
            dependencies: ["IronbridgeMQTT", "IronbridgeCore", "CGPIODMock", .product(name: "Logging", package: "swift-log")],
            path: "Tests/Support/IronbridgeTestSupport"),
        // A mocked libgpiod (the v1 or v2 API, as the backend) over in-memory chips. Only the test
        // executable links it, so there its gpiod_* definitions take precedence over the shared libgpiod.
        .target(
            name: "CGPIODMock",
            dependencies: ["CGPIOD"],
            path: "Tests/Support/CGPIODMock",
            cSettings: libgpiodCSettings),

        .testTarget(name: "IronbridgeMQTTTests", dependencies: ["IronbridgeMQTT", "IronbridgeTestSupport"]),
        .testTarget(name: "IronbridgeModbusTests", dependencies: ["IronbridgeModbus"]),
        .testTarget(name: "IronbridgeSystemTests", dependencies: ["IronbridgeSystem"]),
        .testTarget(
            name: "IronbridgeGPIOTests", dependencies: ["IronbridgeGPIO", "CGPIODMock", "IronbridgeTestSupport"],
            swiftSettings: libgpiodSwiftSettings),
        .testTarget(
            name: "IronbridgeCoreTests",
            dependencies: ["IronbridgeCore", "IronbridgeTestSupport"]),
        .testTarget(
            name: "ModbusConnectorTests",
            dependencies: ["ModbusConnector", "IronbridgeTestSupport"],
            path: "Tests/Connectors/ModbusConnectorTests"),
        .testTarget(
            name: "GPIOConnectorTests",
            // ModbusConnector for the remote configuration tests, which run both connectors in one gateway.
            dependencies: ["GPIOConnector", "ModbusConnector", "CGPIODMock", "IronbridgeTestSupport"],
            path: "Tests/Connectors/GPIOConnectorTests",
            swiftSettings: libgpiodSwiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
