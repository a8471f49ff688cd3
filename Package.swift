// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
  name: "FieldEval",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "EmissionGate", targets: ["EmissionGate"]),
    .library(name: "LeakScanner", targets: ["LeakScanner"]),
    .library(name: "ContentGate", targets: ["ContentGate"]),
    .library(name: "ProbeSuite", targets: ["ProbeSuite"]),
    .library(name: "LlamaBackend", targets: ["LlamaBackend"]),
    .executable(name: "fieldeval", targets: ["fieldeval"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
  ],
  targets: [
    // Shared internal core: records, JSONL streaming, think parsing, text heuristics, gates.
    .target(
      name: "EvalCore",
      dependencies: [
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Yams", package: "Yams"),
      ],
      swiftSettings: swiftSettings
    ),
    .target(name: "EmissionGate", dependencies: ["EvalCore"], swiftSettings: swiftSettings),
    .target(name: "LeakScanner", dependencies: ["EvalCore"], swiftSettings: swiftSettings),
    .target(name: "ContentGate", dependencies: ["EvalCore"], swiftSettings: swiftSettings),
    .target(name: "ProbeSuite", dependencies: ["EvalCore"], swiftSettings: swiftSettings),
    .systemLibrary(name: "CLlama", pkgConfig: "llama"),
    .target(
      name: "LlamaBackend",
      dependencies: ["EvalCore", "CLlama", .product(name: "Logging", package: "swift-log")],
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "fieldeval",
      dependencies: [
        "EvalCore", "EmissionGate", "LeakScanner", "LlamaBackend",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings
    ),
    // Benchmarks: release-mode executables that print ratios against a named comparison.
    .executableTarget(
      name: "emission-bench",
      dependencies: ["EvalCore", "EmissionGate"],
      path: "Benchmarks/EmissionBenchmark",
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "LeakScannerTests", dependencies: ["LeakScanner", "EvalCore", "TestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "FieldEvalCLITests", dependencies: ["fieldeval", "TestSupport"], swiftSettings: swiftSettings),
    .executableTarget(
      name: "leak-scan-bench",
      dependencies: ["LeakScanner", "EvalCore"],
      path: "Benchmarks/LeakScanBenchmark",
      swiftSettings: swiftSettings
    ),
    .executableTarget(
      name: "llama-backend-bench",
      dependencies: ["LlamaBackend"],
      path: "Benchmarks/LlamaBenchmark",
      exclude: ["README.md"],
      swiftSettings: swiftSettings
    ),
    // Helpers shared by the test targets (temporary directories).
    .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
    .testTarget(
      name: "EvalCoreTests", dependencies: ["EvalCore", "TestSupport"], swiftSettings: swiftSettings),
    .testTarget(
      name: "EmissionGateTests",
      dependencies: ["EmissionGate", "EvalCore", "TestSupport"],
      swiftSettings: swiftSettings
    ),
    .testTarget(
      name: "LlamaBackendTests",
      dependencies: ["LlamaBackend", "EvalCore"],
      swiftSettings: swiftSettings
    ),
  ]
)
