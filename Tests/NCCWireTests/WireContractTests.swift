import Foundation
import NCCHashing
import NCCWire
import Testing

/// The wire contract read and written as the bank and its clients do: strict requests, exact bytes,
/// hash text, and the OpenAPI document held to the types.
@Suite struct WireContractTests {
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        // Sorted: JSONEncoder does not keep the order in which keys are written.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func requestsRefuseUnknownFieldsNamingWhere() throws {
        let error = #expect(throws: WireFieldError.self) {
            try Self.decode(HashesRequest.self, #"{"hashes":[{"algorithm":"pdq","value":"00","qualty":80}]}"#)
        }
        #expect(error?.code == .unknownField)
        #expect(error?.message.hasPrefix("hashes[0].qualty is not a field this endpoint knows; allowed here: algorithm, frames, image, quality, value.") == true)
        #expect(throws: WireFieldError(.unknownField, "extra is not a field this endpoint knows; allowed here: banks, items, max_distance.")) {
            try Self.decode(MatchRequest.self, #"{"items":[],"extra":1}"#)
        }
    }

    @Test func requestsRefuseExplicitNulls() throws {
        #expect(throws: WireFieldError(.invalidField, "max_distance is null; leave the field out instead, or give it a value.")) {
            try Self.decode(MatchRequest.self, #"{"items":[],"max_distance":null}"#)
        }
        #expect(throws: WireFieldError(.invalidField, "content_id is null; leave the field out instead, or give it a value.")) {
            try Self.decode(FeedbackRequest.self, #"{"match_ref":"r","outcome":"removed","content_id":null}"#)
        }
    }

    @Test func requestsLeaveOutWhatIsNotSet() throws {
        let request = HashesRequest(hashes: [CaseHash(algorithm: .md5, value: "ab"), CaseHash(algorithm: .pdq, value: "cd", quality: 80, image: 2)])
        let text = try Self.encode(request)
        #expect(text == #"{"hashes":[{"algorithm":"md5","value":"ab"},{"algorithm":"pdq","image":2,"quality":80,"value":"cd"}]}"#)
        #expect(try Self.decode(HashesRequest.self, text) == request)
        let match = MatchRequest(items: [MatchItem(id: "7", algorithm: .phash, value: "0f")])
        #expect(try Self.encode(match) == #"{"items":[{"algorithm":"phash","id":"7","value":"0f"}]}"#)
        #expect(try Self.encode(FeedbackRequest(matchRef: "r", outcome: "removed")) == #"{"match_ref":"r","outcome":"removed"}"#)
    }

    /// The bytes the bank answers with: field names, and fields left out when they have no value.
    @Test func responsesHaveTheDocumentedBytes() throws {
        let match = MatchResponse(results: [.init(id: "0", matches: [.init(matchRef: "m1", distance: nil), .init(matchRef: "m2", distance: 4)])])
        #expect(try Self.encode(match) == #"{"results":[{"id":"0","matches":[{"match_ref":"m1"},{"distance":4,"match_ref":"m2"}]}]}"#)
        let status = CaseStatusResponse(caseID: "c", status: "active", createdAt: "2026-01-01T00:00:00Z", withdrawnAt: nil,
                                        images: [.init(image: 0, hashes: 3, platformsMatched: 1, feedback: ["removed": 1])], message: "m")
        #expect(try Self.encode(status) == #"{"case_id":"c","created_at":"2026-01-01T00:00:00Z","images":[{"feedback":{"removed":1},"hashes":3,"image":0,"kind":"picture","platforms_matched":1}],"message":"m","status":"active"}"#)
        #expect(try Self.decode(CaseStatusResponse.self, try Self.encode(status)) == status)
        let error = ErrorResponse(code: "not_found", message: "See /v1/openapi.json.\n\u{1}")
        #expect(error.jsonText == #"{"error":{"code":"not_found","message":"See /v1/openapi.json.\n\u0001"}}"#)
        #expect(try Self.decode(ErrorResponse.self, error.jsonText) == error)
        let created = CaseCreatedResponse(caseID: "c", secret: "s", accepted: 1, rejected: [.init(index: 0, code: "quality_too_low", message: "m")], message: "m")
        #expect(try Self.encode(created) == #"{"accepted":1,"case_id":"c","message":"m","rejected":[{"code":"quality_too_low","index":0,"message":"m"}],"secret":"s"}"#)
    }

    /// A video travels as one item holding its frames, strictly read; its matches carry both shares.
    @Test func videoItemsHaveTheDocumentedBytes() throws {
        let frame = WireFrame(pdq: "ab", quality: 90, timestamp: 1.5)
        let request = HashesRequest(hashes: [CaseHash(videoFrames: [frame], image: 3), CaseHash(algorithm: .md5, value: "cd", image: 3)])
        let text = try Self.encode(request)
        #expect(text == #"{"hashes":[{"algorithm":"vpdq","frames":[{"pdq":"ab","quality":90,"timestamp":1.5}],"image":3},{"algorithm":"md5","image":3,"value":"cd"}]}"#)
        #expect(try Self.decode(HashesRequest.self, text) == request)
        #expect(request.hashes.map(\.hashCount) == [1, 1])
        let match = MatchRequest(items: [MatchItem(id: "v", videoFrames: [frame, frame])])
        #expect(try Self.encode(match) == #"{"items":[{"algorithm":"vpdq","frames":[{"pdq":"ab","quality":90,"timestamp":1.5},{"pdq":"ab","quality":90,"timestamp":1.5}],"id":"v"}]}"#)
        #expect(match.items[0].hashCount == 2)
        let frameError = #expect(throws: WireFieldError.self) {
            try Self.decode(MatchRequest.self, #"{"items":[{"id":"v","algorithm":"vpdq","frames":[{"pdq":"ab","quality":90,"time":1}]}]}"#)
        }
        #expect(frameError?.code == .unknownField)
        #expect(frameError?.message.hasPrefix("items[0].frames[0].time is not a field") == true)
        #expect(throws: WireFieldError(.invalidField, "items[0].frames is null; leave the field out instead, or give it a value.")) {
            try Self.decode(MatchRequest.self, #"{"items":[{"id":"v","algorithm":"vpdq","frames":null}]}"#)
        }
        let answer = MatchResponse(results: [.init(id: "v", matches: [.init(matchRef: "m", distance: nil, queryMatchPercent: 87.5, bankMatchPercent: 100)])])
        #expect(try Self.encode(answer) == #"{"results":[{"id":"v","matches":[{"bank_match_percent":100,"match_ref":"m","query_match_percent":87.5}]}]}"#)
        // An older bank's status has no kind: read as a picture.
        let old = try Self.decode(CaseStatusResponse.Image.self, #"{"image":0,"hashes":1,"platforms_matched":0,"feedback":{}}"#)
        #expect(old.kind == "picture")
    }

    /// Clients read answers leniently: a field a newer bank adds does not break them.
    @Test func responsesIgnoreFieldsANewerBankAdds() throws {
        let answer = try Self.decode(FeedbackResponse.self, #"{"match_ref":"r","outcome":"removed","recorded":true,"new":1}"#)
        #expect(answer == FeedbackResponse(matchRef: "r", outcome: "removed", recorded: true))
    }

    @Test func hashTextIsCheckedWithoutEchoingTheValue() throws {
        #expect(try WireHex.bytes("00FFa0" + String(repeating: "0", count: 10), algorithm: .phash, at: "v") == [0, 255, 160, 0, 0, 0, 0, 0])
        #expect(throws: WireFieldError(.invalidHash, "items[0].value: a md5 hash is 32 hex characters; this one has 3.")) {
            try WireHex.bytes("abc", algorithm: .md5, at: "items[0].value")
        }
        #expect(throws: WireFieldError(.invalidHash, "v: a hash is written with the characters 0-9 and a-f only.")) {
            try WireHex.bytes("zz" + String(repeating: "0", count: 14), algorithm: .dhash, at: "v")
        }
        #expect(throws: WireFieldError(.unknownAlgorithm, "a: \"sha1\" is not an algorithm the bank knows; use pdq, phash, dhash, md5, sha256 or vpdq.")) {
            try WireAlgorithm.named("sha1", at: "a")
        }
        #expect(WireHex.text(words: [0x0123_4567_89ab_cdef, 1]) == "0123456789abcdef0000000000000001")
    }

    @Test func algorithmsAgreeWithTheHashingLibrary() {
        // Every hashing algorithm, and vpdq: a video's frames, each a PDQ.
        #expect(WireAlgorithm.allCases.map(\.rawValue) == HashAlgorithm.allCases.map(\.rawValue) + ["vpdq"])
        #expect(WireAlgorithm.vpdq.hexLength == HashAlgorithm.pdq.hexLength)
        for algorithm in HashAlgorithm.allCases {
            #expect(WireAlgorithm(rawValue: algorithm.rawValue)?.hexLength == algorithm.hexLength, "\(algorithm)")
        }
    }

    /// The one OpenAPI document is found as this module's resource and describes the same fields and limits
    /// as the types.
    @Test func openAPIDocumentDescribesTheTypes() throws {
        let data = try OpenAPIDocument.json.get()
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        func properties(_ name: String) -> Set<String> { Set((schemas[name]?["properties"] as? [String: Any])?.keys ?? [:].keys) }
        func keys(_ value: some Encodable) throws -> Set<String> {
            Set((try JSONSerialization.jsonObject(with: try JSONEncoder().encode(value)) as? [String: Any])?.keys ?? [:].keys)
        }
        #expect(properties("HashPDQ") == (try keys(CaseHash(algorithm: .pdq, value: "", quality: 1, image: 1))))
        #expect(properties("HashesRequest") == (try keys(HashesRequest(hashes: []))))
        #expect(properties("MatchItem256") == (try keys(MatchItem(id: "", algorithm: .pdq, value: "", kind: "low-passed"))))
        #expect(schemas["MatchItem256"].flatMap { ($0["properties"] as? [String: Any])?["kind"] as? [String: Any] }?["maxLength"] as? Int == WireLimits.maxKindLength)
        #expect(properties("HashVideo") == (try keys(CaseHash(videoFrames: [], image: 1))))
        #expect(properties("MatchItemVideo") == (try keys(MatchItem(id: "", videoFrames: []))))
        #expect(properties("Frame") == (try keys(WireFrame(pdq: "", quality: 0, timestamp: 0))))
        #expect(schemas["Frames"]?["maxItems"] as? Int == WireLimits.maxFramesPerVideo)
        #expect(properties("MatchRequest") == (try keys(MatchRequest(items: [], maxDistance: 1, banks: []))))
        #expect(properties("FeedbackRequest") == (try keys(FeedbackRequest(matchRef: "", outcome: "", contentID: ""))))
        #expect(properties("Rejection") == (try keys(Rejection(index: 0, code: "", message: ""))))
        #expect(properties("CaseCreated") == (try keys(CaseCreatedResponse(caseID: "", secret: "", accepted: 0, rejected: [], message: ""))))
        #expect(properties("HashesAdded") == (try keys(HashesAddedResponse(caseID: "", accepted: 0, rejected: []))))
        #expect(properties("CaseStatus") == (try keys(CaseStatusResponse(caseID: "", status: "", createdAt: "", withdrawnAt: "", images: [], message: ""))))
        #expect(properties("MatchResponse") == (try keys(MatchResponse(results: []))))
        #expect(properties("FeedbackRecorded") == (try keys(FeedbackResponse(matchRef: "", outcome: "", recorded: true))))
        #expect(properties("Error") == (try keys(ErrorResponse(code: "", message: ""))))
        #expect(schemas["Algorithm"]?["enum"] as? [String] == WireAlgorithm.allCases.map(\.rawValue))
        #expect(schemas["PictureNumber"]?["maximum"] as? Int == WireLimits.maxImageNumber)
        let hashes = (schemas["HashesRequest"]?["properties"] as? [String: Any])?["hashes"] as? [String: Any]
        let items = (schemas["MatchRequest"]?["properties"] as? [String: Any])?["items"] as? [String: Any]
        #expect(hashes?["maxItems"] as? Int == WireLimits.maxItemsPerRequest)
        #expect(items?["maxItems"] as? Int == WireLimits.maxItemsPerRequest)
    }
}
