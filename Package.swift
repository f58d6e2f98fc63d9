// swift-tools-version:6.1
import PackageDescription

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

        // One safe Swift wrapper per C library; the only code that imports its C module.
        .target(
            name: "IronbridgeMQTT",
            dependencies: ["CMosquitto", .product(name: "Logging", package: "swift-log")]),
        .target(
            name: "IronbridgeModbus",
            dependencies: ["CModbus"]),
        .target(
            name: "IronbridgeGPIO",
            dependencies: ["CGPIOD"]),

        // The gateway: platform API, configuration, storage, device registry, connector protocol.
        .target(
            name: "IronbridgeCore",
            dependencies: [
                "IronbridgeMQTT",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // Connectors: configuration -> sub-devices, polling, RPC handlers.
        .target(
            name: "ModbusConnector",
            dependencies: ["IronbridgeCore", "IronbridgeModbus", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Connectors/Modbus"),
        .target(
            name: "GPIOConnector",
            dependencies: ["IronbridgeCore", "IronbridgeGPIO", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Connectors/GPIO"),

        // Thin command line front end.
        .executableTarget(
            name: "ironbridge",
            dependencies: [
                "IronbridgeCore", "ModbusConnector", "GPIOConnector",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Test support: a real mosquitto launcher and a platform stand-in.
        .target(
            name: "IronbridgeTestSupport",
            dependencies: ["IronbridgeMQTT", "IronbridgeCore", "CGPIODMock", .product(name: "Logging", package: "swift-log")],
            path: "Tests/Support/IronbridgeTestSupport"),
        // A mocked libgpiod (v1 API) over in-memory chips. Only the test executable links it,
        // so there its gpiod_* definitions take precedence over the shared libgpiod.
        .target(
            name: "CGPIODMock",
            dependencies: ["CGPIOD"],
            path: "Tests/Support/CGPIODMock"),

        .testTarget(name: "IronbridgeMQTTTests", dependencies: ["IronbridgeMQTT", "IronbridgeTestSupport"]),
        .testTarget(name: "IronbridgeModbusTests", dependencies: ["IronbridgeModbus"]),
        .testTarget(name: "IronbridgeGPIOTests", dependencies: ["IronbridgeGPIO", "CGPIODMock", "IronbridgeTestSupport"]),
        .testTarget(
            name: "IronbridgeCoreTests",
            dependencies: ["IronbridgeCore", "IronbridgeTestSupport"]),
        .testTarget(
            name: "ModbusConnectorTests",
            dependencies: ["ModbusConnector", "IronbridgeTestSupport"],
            path: "Tests/Connectors/ModbusConnectorTests"),
        .testTarget(
            name: "GPIOConnectorTests",
            dependencies: ["GPIOConnector", "CGPIODMock", "IronbridgeTestSupport"],
            path: "Tests/Connectors/GPIOConnectorTests"),
    ],
    swiftLanguageModes: [.v6]
)
