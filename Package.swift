// swift-tools-version:6.2
import PackageDescription

// Shared by every Swift target: stricter existential spelling and explicit imports keep
// module boundaries honest (a module can only use what it imports), and a warning in our own
// code fails the build (SwiftPM leaves dependencies' warnings alone).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

// Our C shims: every warning on, and each one an error.
let cSettings: [CSetting] = [
    .unsafeFlags(["-Wall", "-Wextra"]),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "SceneDrop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "scenedrop", targets: ["scenedrop"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Already in the graph through async-http-client, so SHA-256 from it costs no extra build.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // The web view. No traits: swift-configuration support is not used, and not built.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // Already in the graph through Hummingbird: NIOHTTPTypes for the web view's connection guard.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The optional coordinator (--coordinator postgres://…): an exact budget and a fleet view across hosts.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // MARK: C
        .systemLibrary(name: "CInotifyTools", path: "Sources/CInotifyTools"),
        .systemLibrary(
            name: "CVips",
            path: "Sources/CVips",
            pkgConfig: "vips",
            providers: [.apt(["libvips-dev"])]
        ),
        .systemLibrary(
            name: "CPangoCairo",
            path: "Sources/CPangoCairo",
            pkgConfig: "pangocairo",
            providers: [.apt(["libpango1.0-dev"])]
        ),
        .target(name: "CVipsShim", dependencies: ["CVips", "CPangoCairo"], cSettings: cSettings),
        .target(name: "CSystemShim", cSettings: cSettings),

        // MARK: Leaf modules
        .target(
            name: "SystemSupport",
            dependencies: [
                "CSystemShim",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "LocatedJSON", swiftSettings: swiftSettings),
        .target(
            name: "SceneManifest",
            dependencies: ["LocatedJSON", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DropFolder",
            dependencies: [
                "CInotifyTools", "SystemSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "Imaging", dependencies: ["CVipsShim"], swiftSettings: swiftSettings),
        .target(
            name: "Spend",
            dependencies: ["SystemSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ImageGeneration",
            dependencies: [
                "SceneManifest", "LocatedJSON", "Imaging", "SystemSupport", "Spend",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Vendors: each holds only what differs (wire format, credentials, how answers map to the
        // shared failure kinds, its catalog) over ImageGeneration's provider-neutral machinery.
        .target(
            name: "GoogleGenAI",
            dependencies: [
                "ImageGeneration", "Imaging", "SceneManifest", "Spend", "SystemSupport",
                // RS256 for Vertex AI's service-account JWTs; already built for postgres-nio.
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OpenAIImages",
            dependencies: [
                "ImageGeneration", "SystemSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Outbox",
            dependencies: ["SystemSupport", "LocatedJSON"],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "WebView",
            dependencies: [
                "SystemSupport", "Outbox", "Imaging", "LocatedJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Coordination",
            dependencies: [
                "Spend", "SystemSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Composition
        .target(
            name: "SceneDropCore",
            dependencies: [
                "SystemSupport", "DropFolder", "LocatedJSON", "SceneManifest", "Imaging", "Spend", "ImageGeneration",
                "GoogleGenAI", "OpenAIImages", "Outbox",
                "WebView",
                "Coordination",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "scenedrop",
            dependencies: [
                "SceneDropCore", "ImageGeneration", "GoogleGenAI", "Imaging", "Outbox", "SceneManifest",
                "SystemSupport",
                "WebView",
                "Coordination", "LocatedJSON", "Spend",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Benchmark
        // Under Benchmarks/, not Sources/: it drives the built daemon with the tests' support targets (the fake
        // Gemini API, child processes, waits), which no shipped module may import.
        .executableTarget(
            name: "scenedrop-bench",
            dependencies: [
                "SystemSupport", "Imaging", "TestSupport", "FakeGemini",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/scenedrop-bench",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests
        .target(
            name: "TestSupport",
            dependencies: ["SystemSupport"],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FakeGemini",
            dependencies: [
                "Imaging",
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/FakeGemini",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LocatedJSONTests", dependencies: ["LocatedJSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SceneManifestTests",
            dependencies: ["SceneManifest", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SystemSupportTests",
            dependencies: ["SystemSupport", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DropFolderTests",
            dependencies: [
                "DropFolder", "SystemSupport", "TestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ImageGenerationTests",
            dependencies: [
                "ImageGeneration", "Imaging", "SceneManifest", "LocatedJSON", "Spend", "SystemSupport", "FakeGemini",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GoogleGenAITests",
            dependencies: [
                "GoogleGenAI", "ImageGeneration", "Imaging", "SceneManifest", "LocatedJSON", "Spend", "SystemSupport",
                "FakeGemini", "TestSupport", .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OpenAIImagesTests",
            dependencies: [
                "OpenAIImages", "ImageGeneration", "FakeGemini", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpendTests",
            dependencies: ["Spend", "SystemSupport", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "WebViewTests", dependencies: ["WebView"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CoordinationTests",
            dependencies: [
                "Coordination", "SystemSupport", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OutboxTests",
            dependencies: ["Outbox", "SystemSupport", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SceneDropCoreTests",
            dependencies: [
                "SceneDropCore", "DropFolder", "ImageGeneration", "Imaging", "SystemSupport", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            // The two executables are run, not imported: listed so they are built first.
            dependencies: [
                "scenedrop", "scenedrop-bench", "SystemSupport", "TestSupport", "Imaging", "FakeGemini",
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The slow tier, the one that touches the machine: a real PostgreSQL, sshfs mounts, kill -9, bursts past the
        // inotify queue, a browser, users and groups, the benchmark. `swift test` runs it with the rest;
        // `swift test --skip FarmTests` leaves it out (CONTRIBUTING.md).
        .testTarget(
            name: "FarmTests",
            dependencies: [
                "scenedrop", "scenedrop-bench", "Coordination", "ImageGeneration", "Spend", "SystemSupport",
                "TestSupport",
                "Imaging",
                "FakeGemini", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
