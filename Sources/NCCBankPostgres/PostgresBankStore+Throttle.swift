import Foundation
import Logging
import NCCBank
import NCCHashing
import PostgresNIO

/// The wrong-secret throttle every replica shares (`SharedThrottle`).
extension PostgresBankStore {
    /// The wrong-secret throttle shared by all replicas: one `TokenBucket` per key (a digest of the client,
    /// never its address), on the database's clock. With `take`, one token is taken (a wrong secret was
    /// sent). Returns nil when a try is allowed, else the whole seconds to wait (at least 1).
    public func throttle(key: String, bucket: TokenBucket, take: Bool) async throws -> Int? {
        try await transaction(writing: take) { c, logger -> Int? in
            var tokens = bucket.capacity
            for try await (stored, seconds) in try await c.query("""
                SELECT tokens, EXTRACT(EPOCH FROM (now() - updated_at))::float8
                FROM secret_throttle WHERE case_id = \(key) FOR UPDATE
                """, logger: logger).decode((Double, Double).self) {
                tokens = bucket.refilled(stored, after: seconds)
            }
            if take {
                try await c.query("""
                    INSERT INTO secret_throttle (case_id, tokens, updated_at) VALUES (\(key), \(max(0, tokens - 1)), now())
                    ON CONFLICT (case_id) DO UPDATE SET tokens = EXCLUDED.tokens, updated_at = EXCLUDED.updated_at
                    """, logger: logger)
                // Buckets idle long enough to be full again carry no information: drop them now and then.
                if Int.random(in: 0..<100) == 0 {
                    try await c.query("DELETE FROM secret_throttle WHERE updated_at < now() - make_interval(secs => \(bucket.secondsToFull))", logger: logger)
                }
            }
            return bucket.wait(having: tokens)
        }
    }
}
