// swift-tools-version: 6.1
// Scrim's speed and allocation benchmarks (ordo-one/benchmark). A package of its own so `swift test` in the
// repository root never builds it. Run from this folder:  swift package benchmark
import PackageDescription

let package = Package(
    name: "ScrimBenchmarks",
    dependencies: [
        .package(name: "Scrim", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ScrimBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Scrim", package: "Scrim"),
            ],
            path: "Benchmarks/ScrimBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
