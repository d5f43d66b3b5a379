// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// The nccmatch package's identity: SwiftPM names a path dependency after its folder.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

// Benchmarks of nccmatch, run with package-benchmark:
//   cd Benchmarks && swift package benchmark --target IndexBenchmarks
// To add a target: put its sources in Benchmarks/<Name>/ and add one `benchmarkTarget` line below.

let package = Package(
    name: "nccmatch-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        benchmarkTarget("IndexBenchmarks", products: ["NCCIndex", "NCCHashing"]),
        benchmarkTarget("HashingBenchmarks", products: ["NCCHashing"]),
    ]
)

/// A package-benchmark executable at Benchmarks/<name>/ using the given products of the nccmatch package.
func benchmarkTarget(_ name: String, products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Benchmark", package: "benchmark")]
            + products.map { .product(name: $0, package: root) },
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}
