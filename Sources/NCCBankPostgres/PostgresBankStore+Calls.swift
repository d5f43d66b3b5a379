import Foundation
import Logging
import NCCBank
import NCCHashing
import PostgresNIO

/// Calls and transactions: the deadline of each call, `BEGIN`/`COMMIT` on a pooled connection, and the
/// mapping of postgres-nio failures to `BankError`.
extension PostgresBankStore {
    /// How a call's deadline counts.
    enum Deadline: Sendable, Equatable {
        /// The whole call, from asking for a connection to the answer of its `COMMIT`, within the timeout: the
        /// calls that answer requests. Past it, a transaction that has not sent `COMMIT` is abandoned (its
        /// connection closed, so the server rolls it back) and the call fails with `database_unavailable`; one
        /// whose `COMMIT` is on its way gets `commitGrace` more seconds, then fails with
        /// `database_commit_unknown` (it may or may not have been committed).
        case whole
        /// Only getting a connection counts; once it holds one the call runs to its end (loading the index,
        /// migrations, exports, imports: long by nature, and not answering anyone who is waiting).
        case connection
    }

    /// Seconds a `COMMIT` already sent may still take past the deadline before its outcome is declared unknown.
    static let commitGrace: Double = 1

    /// Runs `body`, mapping failures to `BankError`. `body` calls `gate.begin(connection)` once it holds a
    /// connection and `gate.commit()` just before sending `COMMIT`; both throw once the deadline has passed,
    /// so a call answered as failed never starts or commits later.
    func call<T: Sendable>(writing: Bool, deadline: Deadline = .whole, timeout: Double? = nil,
                           _ body: @Sendable @escaping (_ gate: CallGate<T>) async throws -> T) async throws -> T {
        var limit = timeout ?? self.timeout
        if deadline == .whole, let request = RequestDeadline.current {
            limit = min(limit, request.remaining())
            if limit <= 0 {
                throw BankError(.databaseUnavailable, "The bank's database did not answer within this request's \(Int(request.seconds)) s.")
            }
        }
        let timeout = limit
        let gate = CallGate<T>(bounded: deadline == .whole)
        do {
            return try await withCheckedThrowingContinuation { continuation in
                gate.install(continuation)
                let work = Task {
                    do {
                        gate.finish(.success(try await body(gate)))
                    } catch {
                        gate.finish(.failure(error))
                    }
                }
                gate.setTimer(Task {
                    try? await Task.sleep(for: .seconds(timeout))
                    if Task.isCancelled { return }
                    let late = BankError(.databaseUnavailable, "The bank's database did not answer within \(Int(timeout)) s.")
                    switch gate.expire(late) {
                    case .failed:
                        work.cancel()
                    case .committing:
                        try? await Task.sleep(for: .seconds(Self.commitGrace))
                        if Task.isCancelled { return }
                        let unknown = BankError(.databaseCommitUnknown, "The bank's database stopped answering while this change was being committed, so it may or may not have been made.")
                        if gate.expireCommit(unknown) { work.cancel() }
                    case .unaffected:
                        break
                    }
                })
            }
        } catch {
            throw Self.bankError(error, writing: writing)
        }
    }

    /// A transaction on a pooled connection (`BEGIN` … `COMMIT`, `ROLLBACK` on any failure), within the call's
    /// deadline, with error mapping.
    func transaction<T: Sendable>(writing: Bool = true, deadline: Deadline = .whole, timeout: Double? = nil,
                                  _ body: @Sendable @escaping (PostgresConnection, Logger) async throws -> T) async throws -> T {
        let client = self.client, logger = self.logger
        return try await call(writing: writing, deadline: deadline, timeout: timeout) { gate in
            try await client.withConnection { connection in
                try gate.begin(connection)
                try await connection.query("BEGIN", logger: logger)
                let value: T
                do {
                    value = try await body(connection, logger)
                    try gate.commit()
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
                do {
                    try await connection.query("COMMIT", logger: logger)
                } catch let error as PSQLError where error.serverInfo == nil {
                    // The connection broke with the COMMIT sent: the server may have committed it.
                    throw BankError(.databaseCommitUnknown, "The connection to the bank's database broke while this change was being committed, so it may or may not have been made.",
                                    underlying: SafeDescription(error))
                }
                return value
            }
        }
    }

    /// Maps a postgres-nio failure to a `BankError`: unreachable server → `database_unavailable`; an error the
    /// server reported → `store_failed`. Neither message holds query parameters.
    static func bankError(_ error: any Error, writing: Bool) -> BankError {
        if let error = error as? BankError { return error }
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError ?? error.beginError ?? error.commitError {
                return bankError(inner, writing: writing)
            }
        }
        let nothing = writing ? " Nothing was changed; try again shortly." : " Try again shortly."
        if let error = error as? PSQLError, let server = error.serverInfo {
            let state = server[.sqlState] ?? "?"
            let message = server[.message] ?? ""
            // Class 08 (connection), 53 (resources), 57 (shutdown, admin): the server is going away.
            if state.hasPrefix("08") || state.hasPrefix("57") || state.hasPrefix("53") {
                return BankError(.databaseUnavailable, "The bank's database is not available (\(state)).\(nothing)")
            }
            return BankError(.storeFailed, "The bank's database refused the operation (\(state): \(message)).\(nothing)")
        }
        if error is CancellationError {
            return BankError(.databaseUnavailable, "The bank's database call was cancelled.\(nothing)")
        }
        return BankError(.databaseUnavailable, "The bank's database cannot be reached.\(nothing)", underlying: SafeDescription(error))
    }

    /// A `Sendable` text of an underlying error (postgres-nio errors hide queries and binds in descriptions).
    struct SafeDescription: Error, Sendable, CustomStringConvertible {
        let description: String
        init(_ error: any Error) { description = String(describing: type(of: error)) + ": " + String(describing: error) }
    }
}
