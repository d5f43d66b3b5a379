// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "nccmatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "nccmatch", targets: ["nccmatch"]),
        .library(name: "NCCHashing", targets: ["NCCHashing"]),
        .library(name: "NCCIndex", targets: ["NCCIndex"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // C: libjpeg-turbo and libpng decoding; setjmp/longjmp never leaves these files.
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]
        ),
        // C: XOR+popcount kernels with runtime CPU dispatch (AVX-512 VPOPCNTDQ, AVX2, POPCNT, portable).
        .target(name: "CHammingKernels"),
        // Swift: decoded image buffers, PDQ, pHash, dHash, MD5/SHA-256, hash values and their text forms.
        .target(
            name: "NCCHashing",
            dependencies: [
                "CImageCodecs",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // C: in-memory JPEG and PNG encoding for the robustness evaluation (re-encoded copies never touch disk).
        .target(
            name: "CImageEncoding",
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]
        ),
        // Swift: image transforms made in memory and the matching-robustness evaluation and report.
        .target(name: "NCCEvaluation", dependencies: ["NCCHashing", "CImageEncoding"]),
        // Swift: exact Hamming-distance search (flat SIMD scan, multi-index hashing, snapshots).
        .target(name: "NCCIndex", dependencies: ["NCCHashing", "CHammingKernels"]),
        // The command-line tool.
        .executableTarget(
            name: "nccmatch",
            dependencies: [
                "NCCHashing",
                "NCCIndex",
                "NCCEvaluation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Shared test helpers: fixture and ../shared lookup, temporary directories, running the CLI.
        .target(name: "NCCTestSupport", path: "Tests/NCCTestSupport"),
        .testTarget(
            name: "NCCHashingTests",
            dependencies: ["NCCHashing", "NCCTestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "NCCEvaluationTests", dependencies: ["NCCEvaluation", "NCCTestSupport"]),
        .testTarget(name: "NCCIndexTests", dependencies: ["NCCIndex", "NCCTestSupport"]),
        .testTarget(name: "NCCMatchCLITests", dependencies: ["NCCTestSupport", "NCCHashing"]),
    ]
)
