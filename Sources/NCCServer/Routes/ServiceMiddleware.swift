import Foundation
import Hummingbird
import Logging
import NCCBank

/// Outermost middleware: every failure becomes an `APIError` with the JSON error body (never a bare 500
/// or an HTML page), and every request is counted and timed by route template (never by its path, which
/// may hold a case id).
struct ServiceMiddleware: RouterMiddleware {
    typealias Context = BankRequestContext
    let service: BankService
    /// The registered routes, for 405 on a known path.
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        func observe(_ status: Int) {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            service.metrics.observe(method: request.method.rawValue, route: context.endpointPath ?? "NotFound", status: status, seconds: seconds)
        }
        do {
            // On a shared bank all the request's database calls share one deadline (5 s), so a write is refused
            // within it while the database is away however many calls it makes.
            let deadline = service.replica.requestDeadline()
            let response = try await RequestDeadline.$current.withValue(deadline) { try await next(request, context) }
            observe(response.status.code)
            return response
        } catch let error as APIError {
            observe(error.status.code)
            throw error
        } catch let error as HTTPError {
            let mapped: APIError
            switch error.status {
            case .notFound:
                if let allowed = routes.allowedMethods(path: request.uri.path) {
                    mapped = APIError(.methodNotAllowed, "method_not_allowed", "This endpoint does not accept \(request.method.rawValue); it accepts \(allowed.joined(separator: ", ")). See /v1/openapi.json.", allow: allowed.joined(separator: ", "))
                } else {
                    mapped = APIError(.notFound, "not_found", "There is no such endpoint; the API is described at /v1/openapi.json.")
                }
            case .methodNotAllowed:
                mapped = APIError(.methodNotAllowed, "method_not_allowed", "This endpoint does not accept \(request.method.rawValue); see /v1/openapi.json.")
            case .contentTooLarge:
                mapped = APIError(.contentTooLarge, "body_too_large", "The request body is larger than \(service.configuration.maxBodyBytes) bytes; send fewer items per request.")
            default:
                mapped = APIError(error.status, "http_error", error.body ?? error.status.reasonPhrase)
            }
            observe(mapped.status.code)
            throw mapped
        } catch let error as DecodingError {
            // A body Hummingbird itself decoded; ours are decoded by `RequestBody`, which answers precisely.
            observe(400)
            throw APIError.badRequest("invalid_json", "The request body is not the JSON this endpoint expects (\(String(describing: error).prefix(200))); see /v1/openapi.json.")
        } catch {
            service.logger.error("unexpected failure", metadata: ["route": "\(context.endpointPath ?? "-")", "error_type": "\(type(of: error))"])
            observe(500)
            throw APIError(.internalServerError, "internal_error", "Something went wrong inside the service and nothing was changed; please try again. If it keeps happening, tell the bank operator.")
        }
    }
}
