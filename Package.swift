// swift-tools-version:6.2
import PackageDescription

/// Settings every Backstop target shares: Swift 6 mode, and warnings fail the build.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "backstop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "backstop", targets: ["backstop"]),
        .executable(name: "department-service", targets: ["department-service"]),
        .executable(name: "enterprise-service", targets: ["enterprise-service"]),
        .executable(name: "cooperative-service", targets: ["cooperative-service"]),
        .executable(name: "social-org-service", targets: ["social-org-service"]),
        .executable(name: "oversight-service", targets: ["oversight-service"]),
        .library(name: "BackstopBus", targets: ["BackstopBus"]),
        .library(name: "BackstopPostgres", targets: ["BackstopPostgres"]),
        .library(name: "BackstopContracts", targets: ["BackstopContracts"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .target(
            name: "BackstopPostgres",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(name: "BackstopContracts", swiftSettings: strict, plugins: ["ContractsEmbedPlugin"]),
        .target(name: "BackstopContractsCodegen", dependencies: ["BackstopContracts"], swiftSettings: strict),
        .target(
            name: "BackstopAccess",
            dependencies: ["BackstopBus", "BackstopContracts", "BackstopPostgres"],
            exclude: ["SQL", "Migrations"],
            swiftSettings: strict,
            plugins: ["SQLEmbedPlugin"]
        ),
        .target(
            name: "BackstopInbox",
            dependencies: [
                "BackstopAccess", "BackstopBus", "BackstopContracts", "BackstopPostgres",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["SQL", "Migrations"],
            swiftSettings: strict,
            plugins: ["SQLEmbedPlugin"]
        ),
        .target(
            name: "BackstopOversight",
            dependencies: [
                "BackstopAccess", "BackstopBus", "BackstopContracts", "BackstopPostgres",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            exclude: ["SQL", "Migrations"],
            swiftSettings: strict,
            plugins: ["SQLEmbedPlugin"]
        ),
        .target(
            name: "BackstopMonitoring",
            dependencies: [
                "BackstopAccess", "BackstopBus", "BackstopContracts", "BackstopCoordinator", "BackstopPostgres",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["SQL", "Migrations"],
            swiftSettings: strict,
            plugins: ["SQLEmbedPlugin"]
        ),
        .target(
            name: "BackstopHTTP",
            dependencies: [
                "BackstopAccess", "BackstopInbox", "BackstopOversight", "BackstopMonitoring", "BackstopBus", "BackstopContracts", "BackstopCoordinator", "BackstopPostgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            exclude: ["openapi-generator-config.yaml"],
            swiftSettings: strict
        ),
        .executableTarget(name: "department-service", dependencies: ["BackstopHTTP", "BackstopContracts"], swiftSettings: strict),
        .executableTarget(name: "enterprise-service", dependencies: ["BackstopHTTP", "BackstopContracts"], swiftSettings: strict),
        .executableTarget(name: "cooperative-service", dependencies: ["BackstopHTTP", "BackstopContracts"], swiftSettings: strict),
        .executableTarget(name: "social-org-service", dependencies: ["BackstopHTTP", "BackstopContracts"], swiftSettings: strict),
        .executableTarget(name: "oversight-service", dependencies: ["BackstopHTTP", "BackstopContracts"], swiftSettings: strict),
        .target(
            name: "BackstopCoordinator",
            dependencies: [
                "BackstopBus", "BackstopContracts", "BackstopPostgres",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["SQL", "Migrations"],
            swiftSettings: strict,
            plugins: ["SQLEmbedPlugin"]
        ),
        .target(
            name: "BackstopBus",
            dependencies: [
                "BackstopPostgres", "BackstopContracts",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Migrations", "SQL"],
            swiftSettings: strict,
            plugins: ["SQLEmbedPlugin"]
        ),
        .executableTarget(name: "FileEmbed", swiftSettings: strict),
        .plugin(
            name: "SQLEmbedPlugin",
            capability: .buildTool(),
            dependencies: ["FileEmbed"],
            path: "Sources/SQLEmbedPlugin"
        ),
        .plugin(
            name: "ContractsEmbedPlugin",
            capability: .buildTool(),
            dependencies: ["FileEmbed"],
            path: "Sources/ContractsEmbedPlugin"
        ),
        .target(
            name: "BackstopTesting",
            dependencies: ["BackstopPostgres", "BackstopBus"],
            path: "Tests/BackstopTesting",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "backstop",
            dependencies: [
                "BackstopBus", "BackstopPostgres", "BackstopContracts", "BackstopContractsCodegen", "BackstopCoordinator", "BackstopAccess", "BackstopInbox", "BackstopHTTP", "BackstopOversight", "BackstopMonitoring",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BackstopPostgresTests",
            dependencies: ["BackstopPostgres", "BackstopTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BackstopHTTPTests",
            dependencies: ["BackstopHTTP", "BackstopMonitoring", "BackstopAccess", "BackstopInbox", "BackstopTesting", "BackstopBus", "BackstopContracts", "BackstopPostgres", "BackstopCoordinator",
                           .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BackstopInboxTests",
            dependencies: ["BackstopInbox", "BackstopAccess", "BackstopTesting", "BackstopBus", "BackstopContracts", "BackstopPostgres"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BackstopOversightTests",
            dependencies: ["BackstopOversight", "BackstopAccess", "BackstopTesting", "BackstopBus", "BackstopContracts", "BackstopPostgres"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BackstopMonitoringTests",
            dependencies: ["BackstopMonitoring", "BackstopCoordinator", "BackstopAccess", "BackstopTesting", "BackstopBus", "BackstopContracts", "BackstopPostgres"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BackstopAccessTests",
            dependencies: ["BackstopAccess", "BackstopTesting", "BackstopBus", "BackstopContracts", "BackstopPostgres"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BackstopCoordinatorTests",
            dependencies: ["BackstopCoordinator", "BackstopTesting", "BackstopBus", "BackstopContracts", "BackstopPostgres"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BackstopContractsTests",
            dependencies: ["BackstopContracts", "BackstopContractsCodegen", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BackstopCLITests",
            dependencies: ["backstop", "BackstopTesting", "BackstopPostgres", "BackstopCoordinator", "BackstopContracts", "BackstopBus", "BackstopHTTP"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BackstopBusTests",
            dependencies: ["BackstopBus", "BackstopPostgres", "BackstopContracts", "BackstopTesting"],
            swiftSettings: strict
        ),
    ]
)
