import NCCClient
import NCCWire
import Testing

/// What the client decides before anything is sent: which addresses it talks to, and how a case is split.
@Suite struct BankClientTests {
    @Test(arguments: ["localhost", "127.0.0.1", "127.8.9.10", "[::1]", "::1"])
    func loopbackAddresses(_ host: String) {
        #expect(BankClient.isLoopback(host))
    }

    @Test(arguments: ["127.1", "0x7f.0.0.1", "128.0.0.1", "::2", "bank.example.org", "localhost.example.org"])
    func otherAddresses(_ host: String) {
        #expect(!BankClient.isLoopback(host))
    }

    @Test func plainHTTPIsRefusedOffThisComputer() throws {
        let error = #expect(throws: BankClientError.self) { try BankClient(server: "http://bank.example.org") }
        #expect(error?.code == "insecure_server")
        #expect(error?.message.contains("--allow-insecure-http") == true)
        #expect(throws: Never.self) { try BankClient(server: "http://bank.example.org", allowInsecureHTTP: true) }
        #expect(throws: Never.self) { try BankClient(server: "https://bank.example.org/") }
        #expect(try BankClient(server: "http://127.0.0.1:8080/").base.absoluteString == "http://127.0.0.1:8080")
        #expect((#expect(throws: BankClientError.self) { try BankClient(server: "ftp://bank.example.org") })?.code == "invalid_server")
    }

    @Test func anUnreachableBankIsSaidPlainly() throws {
        // Port 9 on loopback (discard) has no listener here: the connection is refused at once.
        let client = try BankClient(server: "http://127.0.0.1:9")
        let error = #expect(throws: BankClientError.self) { try client.openCase(HashesRequest(hashes: [])) }
        #expect(error?.code == "server_unreachable")
    }

    /// Whole pictures per request, never more than the limit unless one picture alone has more.
    @Test func casesAreSplitByWholePictures() {
        #expect(CaseUpload.chunks([], limit: 20) == [])
        #expect(CaseUpload.chunks([10, 10, 1], limit: 20) == [0..<2, 2..<3])
        #expect(CaseUpload.chunks([25, 3, 18, 2], limit: 20) == [0..<1, 1..<2, 2..<4])
        #expect(CaseUpload.chunks([3, 17, 1], limit: 20) == [0..<2, 2..<3])
        #expect(CaseUpload.maxHashesPerRequest == WireLimits.maxItemsPerRequest)
    }
}
