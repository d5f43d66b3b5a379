import Foundation
import Logging
import NCCBank
import NCCBankPostgres

/// What a replica on PostgreSQL does while the database is away: matching goes on from memory.
///
/// - Platforms are remembered from their last successful lookup, so known keys keep working (a revocation
///   made while the database is away takes effect when it returns).
/// - Match references are computed from the bank's key (the same on every replica); the matches are
///   recorded (match reference rows and audit records) once the database answers again.
/// - Writes (cases, feedback, platforms) are refused with 503 `database_unavailable`, changing nothing.
extension BankService {
    /// The platform with this key prefix: from the store, or (PostgreSQL, database away) as last seen.
    func lookUpPlatform(keyPrefix: String) async throws -> PlatformRecord? {
        do {
            let platform = try await store.platform(keyPrefix: keyPrefix)
            if feed != nil { knownPlatforms.set(keyPrefix, platform) }
            return platform
        } catch let error as BankError where error.code.hasPrefix("database_") && feed != nil {
            if let known = knownPlatforms.get(keyPrefix) { return known }
            throw apiError(error)
        } catch let error as BankError {
            throw apiError(error)
        }
    }

    /// Match references for matched pictures: from the store, or (PostgreSQL, database away) computed here
    /// and recorded later.
    func matchReferences(platform: PlatformRecord, imageIDs: [Int64]) async throws -> [Int64: String] {
        do {
            return try await store.matchReferences(platform: platform, imageIDs: imageIDs)
        } catch let error as BankError where error.code.hasPrefix("database_") && feed != nil {
            guard let feed else { throw apiError(error) }
            pendingMatches.append(platform, imageIDs)
            metrics.add("nccmatch_matches_answered_without_database_total")
            return Dictionary(uniqueKeysWithValues: imageIDs.map { ($0, feed.matchReference(platformID: platform.id, imageID: $0)) })
        } catch let error as BankError {
            throw apiError(error)
        }
    }

    /// Records the matches answered while the database was away (match reference rows, audit records).
    func recordPendingMatches() async {
        for (platform, imageIDs) in pendingMatches.takeAll() {
            do {
                _ = try await store.matchReferences(platform: platform, imageIDs: imageIDs)
            } catch {
                pendingMatches.append(platform, imageIDs)
                return
            }
        }
    }
}

/// Platforms by key prefix, as last read from the store.
final class PlatformMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var platforms: [String: PlatformRecord] = [:]

    func get(_ prefix: String) -> PlatformRecord? {
        lock.lock(); defer { lock.unlock() }
        return platforms[prefix]
    }

    func set(_ prefix: String, _ platform: PlatformRecord?) {
        lock.lock(); defer { lock.unlock() }
        platforms[prefix] = platform
    }
}

/// Matches answered while the database was away, to record when it returns (bounded: the oldest are
/// dropped past 100,000 pictures; the answers themselves were already given).
final class PendingMatches: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(PlatformRecord, [Int64])] = []
    private var count = 0

    func append(_ platform: PlatformRecord, _ imageIDs: [Int64]) {
        lock.lock(); defer { lock.unlock() }
        entries.append((platform, imageIDs))
        count += imageIDs.count
        while count > 100_000, !entries.isEmpty { count -= entries.removeFirst().1.count }
    }

    func takeAll() -> [(PlatformRecord, [Int64])] {
        lock.lock(); defer { lock.unlock() }
        defer { entries = []; count = 0 }
        return entries
    }
}
