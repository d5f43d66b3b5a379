import Foundation
import Logging
import NCCBank
import NCCHashing
import PostgresNIO

/// Match references and the feedback platforms give on them.
extension PostgresBankStore {

    /// The match reference of a bank picture for a platform (`MatchReferenceKey`): the same on every replica,
    /// computable while the database is away.
    public func matchReference(platformID: Int64, imageID: Int64) -> String {
        // Set in `init`, before the store is handed out.
        let key = referenceKey.withLock { $0 }!
        return key.reference(platformID: platformID, imageID: imageID)
    }

    /// Gets or makes the platform's match reference for each live image, one `match` audit record each.
    public func matchReferences(platform: PlatformRecord, imageIDs: [Int64]) async throws -> [Int64: String] {
        if imageIDs.isEmpty { return [:] }
        let key = referenceKey.withLock { $0 }!
        return try await transaction { c, logger in
            var refs: [Int64: String] = [:]
            let now = Date()
            for imageID in Set(imageIDs).sorted() {
                // Locks the image's case row against a concurrent withdrawal until this transaction ends.
                var live = false
                for try await _ in try await c.query("""
                    SELECT 1 FROM images i JOIN cases c ON c.id = i.case_id WHERE i.id = \(imageID) AND c.status = 'active' FOR SHARE OF c
                    """, logger: logger).decode(Int.self) {
                    live = true
                }
                guard live else { continue }
                let fresh = key.reference(platformID: platform.id, imageID: imageID)
                try await c.query("""
                    INSERT INTO match_refs (ref, platform_id, image_id, created_at) VALUES (\(fresh), \(platform.id), \(imageID), \(now))
                    ON CONFLICT (platform_id, image_id) DO NOTHING
                    """, logger: logger)
                var ref: String?
                for try await value in try await c.query(
                    "SELECT ref FROM match_refs WHERE platform_id = \(platform.id) AND image_id = \(imageID)", logger: logger
                ).decode(String.self) {
                    ref = value
                }
                guard let ref else { continue }
                refs[imageID] = ref
                try await Self.audit(c, logger, actor: "platform:\(platform.name)", action: "match", matchRef: ref)
            }
            return refs
        }
    }

    /// Stores a review outcome for one of the platform's match references, with a `feedback` audit record.
    public func recordFeedback(platform: PlatformRecord, matchRef: String, outcome: FeedbackOutcome, contentID: String?) async throws {
        try await transaction { c, logger in
            var status: String?
            for try await value in try await c.query("""
                SELECT c.status FROM match_refs m JOIN images i ON i.id = m.image_id JOIN cases c ON c.id = i.case_id
                WHERE m.ref = \(matchRef) AND m.platform_id = \(platform.id) FOR SHARE OF c
                """, logger: logger).decode(String.self) {
                status = value
            }
            guard let status else {
                throw BankError.matchRefNotFound
            }
            if status != CaseState.active.rawValue {
                throw BankError.caseWithdrawnForFeedback
            }
            try await c.query("""
                INSERT INTO feedback (match_ref, platform_id, outcome, content_id, created_at) VALUES (\(matchRef), \(platform.id), \(outcome.rawValue), \(contentID), \(Date()))
                """, logger: logger)
            try await Self.audit(c, logger, actor: "platform:\(platform.name)", action: "feedback", matchRef: matchRef, detail: outcome.rawValue)
        }
    }
}
