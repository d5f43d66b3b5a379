// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "nccmatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "nccmatch", targets: ["nccmatch"]),
        .library(name: "NCCHashing", targets: ["NCCHashing"]),
        .library(name: "NCCIndex", targets: ["NCCIndex"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C: libjpeg-turbo, libpng, libheif (HEIC/HEIF), libavif, libwebp and giflib decoding; setjmp/longjmp never leaves these files.
        .target(
            name: "CImageCodecs",
            linkerSettings: [
                .linkedLibrary("jpeg"), .linkedLibrary("png16"), .linkedLibrary("heif"), .linkedLibrary("avif"),
                .linkedLibrary("webp"), .linkedLibrary("webpdemux"), .linkedLibrary("gif"),
                .linkedLibrary("avcodec"), .linkedLibrary("avutil"),
            ]
        ),
        // C: XOR+popcount kernels with runtime CPU dispatch (AVX-512 VPOPCNTDQ, AVX2, POPCNT, portable).
        .target(name: "CHammingKernels"),
        // C: the horizontal pass of the Lanczos resize pHash and dHash start from, with runtime CPU dispatch (AVX2, SSE2).
        .target(name: "CResampleKernels"),
        // Swift, no Foundation: the numeric hashing core and the hex codec; builds natively and as Embedded Swift
        // for wasm32 (the person's page hashes with this very code).
        .target(name: "NCCHashCore"),
        // Swift: decoded image buffers, PDQ, pHash, dHash, MD5/SHA-256, hash values and their text forms.
        .target(
            name: "NCCHashing",
            dependencies: [
                "NCCHashCore",
                "CImageCodecs",
                "CResampleKernels",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // C: video decoding through FFmpeg's libraries (every FFmpeg call lives here): named demuxers only, limits
        // checked before frame buffers exist, frames sampled by presentation time, luma planes out.
        .target(
            name: "CVideoDecoding",
            linkerSettings: [
                .linkedLibrary("avformat"), .linkedLibrary("avcodec"), .linkedLibrary("avutil"), .linkedLibrary("swscale"),
            ]
        ),
        // Swift: videos: container detection, the safe decoder over CVideoDecoding, vPDQ hashing, Meta's text form,
        // and vPDQ matching (brute force and an index of frames grouped by video).
        .target(name: "NCCVideo", dependencies: ["NCCHashing", "NCCIndex", "CVideoDecoding"]),
        // C: in-memory JPEG and PNG encoding for the robustness evaluation (re-encoded copies never touch disk).
        .target(
            name: "CImageEncoding",
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]
        ),
        // Swift: image transforms made in memory and the matching-robustness evaluation and report.
        .target(name: "NCCEvaluation", dependencies: ["NCCHashing", "CImageEncoding"]),
        // Swift: exact Hamming-distance search (flat SIMD scan, multi-index hashing, snapshots).
        .target(name: "NCCIndex", dependencies: ["NCCHashing", "CHammingKernels"]),
        // Swift: the workloads `nccmatch bench` times the index with (synthetic banks and queries, figures,
        // regression checks), kept out of the production index library.
        .target(name: "NCCIndexBenchmarks", dependencies: ["NCCIndex", "NCCHashing"]),
        // Swift: hash lists as `nccmatch hash` writes them (JSON lines, CSV, plain text) read back for matching,
        // with the hashes a query sends chosen by `MatchingPolicy`.
        .target(name: "NCCHashList", dependencies: ["NCCHashing", "NCCHashCore"]),
        // Swift: the hash bank's contract: its records, the `BankStore` protocol, what replicas sharing a bank need
        // (`SharedBankStore`: change feed, shared throttle, request deadline), secrets, the coded `BankError`,
        // export/import, and `MemoryBankStore` for tests. No database driver: those are the two targets below.
        .target(
            name: "NCCBank",
            dependencies: [
                "NCCHashing",
                "NCCExchange",
                "NCCHashCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Swift: the default bank driver, one SQLite file through GRDB (start-up integrity check, directory lock).
        .target(
            name: "NCCBankSQLite",
            dependencies: [
                "NCCBank",
                "NCCExchange",
                "NCCHashing",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Swift: the hash bank on PostgreSQL (postgres-nio): the same `BankStore` protocol, pooled connections,
        // TLS when the URL asks for it, versioned migrations, and `SharedBankStore` (the change feed replicas
        // follow, the shared secret throttle, per-request deadlines).
        .target(
            name: "NCCBankPostgres",
            dependencies: [
                "NCCBank",
                "NCCHashing",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Swift, Foundation only: the bank's wire contract, shared by the server and every client: request and
        // response types (Codable both ways), hash values as text, the limits both sides keep, and the OpenAPI
        // document (the repository's one copy, served by the server).
        .target(name: "NCCWire", dependencies: ["NCCHashCore"], resources: [.copy("openapi.json")]),
        // Swift, Foundation only (no HTTP server): talking to a bank: the transport (https, or http on loopback),
        // typed calls of each endpoint, and a case's hashes split into requests the bank accepts.
        .target(name: "NCCClient", dependencies: ["NCCWire"]),
        // Swift: hash exchanges (StopNCII partner API, NCMEC hash API, pytx local files, signal CSV): records
        // validated page by page, checkpoints, the sync into a record store, feedback sent back through an outbox.
        // SwiftNIO for HTTP; no bank store or server here (they implement its protocols).
        .target(
            name: "NCCExchange",
            dependencies: [
                "NCCHashing", "NCCWire", .product(name: "Crypto", package: "swift-crypto"),
                // HTTP/1.1 to the exchanges (URLSession spun a core while an exchange held the connection silent).
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Swift: the HTTP service (Hummingbird 2): JSON API under /v1, in-memory indexes kept in step with the store.
        .target(
            name: "NCCServer",
            dependencies: [
                "NCCBank",
                "NCCIndex",
                "NCCHashing",
                "NCCWire",
                "NCCVideo",
                "NCCExchange",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            // The person's page (static HTML, CSS, JavaScript, language files, the WebAssembly hashing core).
            resources: [.copy("Page/Site")]
        ),
        // The command-line tool.
        .executableTarget(
            name: "nccmatch",
            dependencies: [
                "NCCHashing",
                "NCCVideo",
                "NCCIndex",
                "NCCIndexBenchmarks",
                "NCCHashList",
                "NCCEvaluation",
                "NCCBank",
                "NCCBankSQLite",
                "NCCBankPostgres",
                "NCCServer",
                "NCCWire",
                "NCCClient",
                "NCCExchange",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Shared test helpers: fixture and ../shared lookup, temporary directories, running the CLI.
        .target(name: "NCCTestSupport", path: "Tests/NCCTestSupport"),
        .testTarget(
            name: "NCCHashingTests",
            dependencies: ["NCCHashing", "NCCEvaluation", "NCCTestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "NCCEvaluationTests", dependencies: ["NCCEvaluation", "NCCTestSupport"]),
        .testTarget(name: "NCCVideoTests", dependencies: ["NCCVideo", "NCCIndex", "NCCHashing", "NCCTestSupport"]),
        .testTarget(name: "NCCHashListTests", dependencies: ["NCCHashList", "NCCHashing", "NCCTestSupport"]),
        .testTarget(name: "NCCIndexTests", dependencies: ["NCCIndex", "NCCTestSupport"]),
        // The server's parts on their own: throttles with a driven clock, the PBKDF2 gate, the bank's indexes, matching
        // across named banks over a memory bank.
        .testTarget(
            name: "NCCServerTests",
            dependencies: ["NCCServer", "NCCBank", "NCCHashing", "NCCIndex", "NCCWire", "NCCExchange", .product(name: "Logging", package: "swift-log")]
        ),
        // The wire contract: strict decoding, round trips, hash text, the OpenAPI resource, agreement with NCCHashing.
        .testTarget(name: "NCCWireTests", dependencies: ["NCCWire", "NCCHashing"]),
        // The client library on its own: addresses it refuses, a case split into requests, an unreachable bank.
        .testTarget(name: "NCCClientTests", dependencies: ["NCCClient", "NCCWire"]),
        // Exchanges against their real formats, replayed page by page by a Hummingbird server on loopback.
        .testTarget(
            name: "NCCExchangeTests",
            dependencies: [
                "NCCExchange", "NCCHashing", "NCCBank", "NCCBankSQLite", "NCCBankPostgres", "NCCTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
                // To make a fresh database per test on the test server.
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "NCCMatchCLITests", dependencies: ["NCCTestSupport", "NCCHashing"]),
        .testTarget(
            name: "NCCBankTests",
            dependencies: [
                "NCCBank", "NCCBankSQLite", "NCCBankPostgres", "NCCHashing", "NCCTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // To turn a bank back into an older schema, as a bank from before a migration.
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // End-to-end: the built `nccmatch serve` over real HTTP on loopback, a real SQLite file, SIGKILL.
        .testTarget(
            name: "NCCServiceTests",
            dependencies: ["NCCTestSupport", "NCCHashing", "NCCEvaluation", .product(name: "PostgresNIO", package: "postgres-nio"),
                           // The exchanges' replay server in ExchangeCommandTests (real HTTP on loopback).
                           .product(name: "Hummingbird", package: "hummingbird")]
        ),
    ]
)
