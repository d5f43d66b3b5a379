import Foundation
import Hummingbird
import Logging
import NCCHashing
import NCCWire
import NIOCore

extension BankService {
    /// The router of the whole API.
    func makeRouter() -> Router<BankRequestContext> {
        let router = Router(context: BankRequestContext.self)
        let table = RouteTable()
        router.add(middleware: ServiceMiddleware(service: self, routes: table))

        router.get("healthz") { _, _ in
            Self.text("ok\n")
        }
        router.get("readyz") { _, _ in
            guard self.isReady else { throw APIError.notReady }
            // On a shared PostgreSQL bank: the sequence of the last bank change this replica applied.
            if let sequence = self.replica.appliedSequence {
                return Self.text("ready\napplied_sequence \(sequence)\n")
            }
            return Self.text("ready\n")
        }
        router.get("metrics") { _, _ in
            let counts = Dictionary(uniqueKeysWithValues: self.index.counts.map { ($0.key.rawValue, $0.value) })
            return Self.text(self.metrics.render(indexCounts: counts, ready: self.isReady), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        // The contract's one OpenAPI document (NCCWire's resource), read once; the API works without it.
        let openAPI = OpenAPIDocument.json
        if case .failure(let missing) = openAPI { logger.warning("\(missing.description)") }
        router.get("v1/openapi.json") { _, _ in
            switch openAPI {
            case .success(let document):
                return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(bytes: document)))
            case .failure:
                // Where it was looked for is the operator's business (logged at start), not the client's.
                throw APIError(.internalServerError, "openapi_unavailable", "This server was installed without its API description; the API itself works. The operator's log says what is missing.")
            }
        }

        router.post("v1/cases") { request, context in
            let body = try await self.decode(HashesRequest.self, from: request)
            return try Self.json(try await self.openCase(body, client: self.client(request, context)), status: .created)
        }
        router.get("v1/cases/:id") { request, context in
            let id = try context.parameters.require("id")
            return try Self.json(try await self.status(caseID: id, secret: Self.bearer(request), client: self.client(request, context)))
        }
        router.post("v1/cases/:id/hashes") { request, context in
            let id = try context.parameters.require("id")
            let secret = Self.bearer(request)
            let client = self.client(request, context)
            // Authenticate before reading a large body.
            try await self.authenticateCase(id, secret: secret, client: client)
            let body = try await self.decode(HashesRequest.self, from: request)
            return try Self.json(try await self.addHashes(caseID: id, secret: secret, client: client, request: body, authenticated: true), status: .created)
        }
        router.delete("v1/cases/:id") { request, context in
            let id = try context.parameters.require("id")
            return try Self.json(try await self.withdraw(caseID: id, secret: Self.bearer(request), client: self.client(request, context)))
        }
        router.post("v1/match") { request, _ in
            let bearer = Self.bearer(request)
            let body = try await self.decode(MatchRequest.self, from: request)
            return try Self.json(try await self.match(bearer: bearer, request: body))
        }
        router.post("v1/feedback") { request, _ in
            let bearer = Self.bearer(request)
            let body = try await self.decode(FeedbackRequest.self, from: request)
            return try Self.json(try await self.feedback(bearer: bearer, request: body))
        }
        addPageRoutes(to: router)
        table.fill(from: router.routes)
        return router
    }

    /// Reads and decodes a JSON body, refusing one over the size limit.
    func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError(.contentTooLarge, "body_too_large", "The request body is larger than \(limit) bytes; send fewer items per request.")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "body_too_large", "The request body is larger than \(limit) bytes; send fewer items per request.")
        } catch is NIOTooManyBytesError {
            // A chunked body has no length up front: it is cut off at the limit instead.
            throw APIError(.contentTooLarge, "body_too_large", "The request body is larger than \(limit) bytes; send fewer items per request.")
        } catch let error as HTTPError {
            throw APIError(error.status.code >= 500 ? .badRequest : error.status, "malformed_body", "The request body could not be read (\(error.status.reasonPhrase)); send it again as JSON, with a correct Content-Length or chunked encoding.")
        } catch let error as APIError {
            throw error
        } catch {
            // A broken chunked encoding, a connection cut mid-body, a body over the limit in chunks.
            throw APIError(.badRequest, "malformed_body", "The request body could not be read: it was cut off or its chunked encoding is broken. Send it again as JSON, with a correct Content-Length or chunked encoding, of at most \(limit) bytes.")
        }
        return try RequestBody.decode(T.self, from: Data(buffer.readableBytesView))
    }

    /// The per-client throttle key of a request (`ClientAddress`).
    func client(_ request: Request, _ context: BankRequestContext) -> String {
        ClientAddress.key(request: request, remote: context.remoteAddress, trustedProxies: configuration.trustedProxies)
    }

    /// The token of `Authorization: Bearer <token>`, or nil.
    static func bearer(_ request: Request) -> String? {
        guard let value = request.headers[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ text: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
