import Foundation
import NCCTestSupport
import Testing

/// The OpenAPI document ships as NCCWire's resource folder beside the executable; a server installed
/// without it still serves the API and says what is missing, instead of stopping.
@Suite(.needsCLI) struct OpenAPIResourceTests {
    @Test func aServerWithoutItsDocumentStillServesTheAPI() async throws {
        let dir = try TemporaryDirectory(prefix: "nccmatch-openapi")
        defer { dir.remove() }
        // A copy of the executable (not a symlink, which would lead back to the build folder's resources).
        let installed = dir.url.appendingPathComponent("bin", isDirectory: true)
        try FileManager.default.createDirectory(at: installed, withIntermediateDirectories: true)
        let binary = installed.appendingPathComponent("nccmatch")
        do {
            try FileManager.default.linkItem(at: CLIRunner.binary, to: binary)
        } catch {
            try FileManager.default.copyItem(at: CLIRunner.binary, to: binary)
        }
        let data = dir.url.appendingPathComponent("data")
        do {
            let server = try ServerProcess(data: data, binary: binary)
            defer { server.stop() }
            let answer = try await HTTP.send("GET", server.url("v1/openapi.json"))
            #expect(answer.status == 500)
            #expect(answer.text.contains("\"code\":\"openapi_unavailable\""))
            #expect(!answer.text.contains(installed.path), "where the server looked is for the operator's log only")
            #expect(try await HTTP.send("GET", server.url("healthz")).status == 200)
            let match = try await HTTP.send("POST", server.url("v1/match"), json: ["items": [] as [Any]])
            #expect(match.status == 401 && match.text.contains("api_key_required"))
        }
        // With the resource folder installed beside it, the same executable serves the repository's document.
        let resources = CLIRunner.binary.deletingLastPathComponent().appendingPathComponent("nccmatch_NCCWire.resources")
        try FileManager.default.copyItem(at: resources, to: installed.appendingPathComponent("nccmatch_NCCWire.resources"))
        let server = try ServerProcess(data: data, binary: binary)
        defer { server.stop() }
        let answer = try await HTTP.send("GET", server.url("v1/openapi.json"))
        #expect(answer.status == 200)
        #expect(answer.body == (try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("Sources/NCCWire/openapi.json"))))
    }
}
