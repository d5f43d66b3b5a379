import NCCBank
import Synchronization

/// What a replica on a shared bank does while the database is away: matching goes on from memory.
///
/// - Platforms are remembered from their last successful lookup, so known keys keep working (a revocation
///   made while the database is away takes effect when it returns).
/// - Match references are computed from the bank's key (the same on every replica, `MatchReferenceKey`);
///   the matches are recorded (match reference rows and audit records) once the database answers again.
/// - Writes (cases, feedback, platforms) are refused with 503 `database_unavailable`, changing nothing.
extension FollowingReplica {
    /// The platform with this key prefix: from the store, or (database away) as last seen.
    func platform(keyPrefix: String) async throws -> PlatformRecord? {
        do {
            let platform = try await store.platform(keyPrefix: keyPrefix)
            knownPlatforms.set(keyPrefix, platform)
            return platform
        } catch let error as BankError where error.code.isDatabaseAway {
            if let known = knownPlatforms.get(keyPrefix) { return known }
            throw error
        }
    }

    /// Match references for matched pictures: from the store, or (database away) computed here and
    /// recorded later.
    func matchReferences(platform: PlatformRecord, imageIDs: [Int64]) async throws -> [Int64: String] {
        do {
            return try await store.matchReferences(platform: platform, imageIDs: imageIDs)
        } catch let error as BankError where error.code.isDatabaseAway {
            pendingMatches.append(platform, imageIDs)
            metrics.add("nccmatch_matches_answered_without_database_total")
            return Dictionary(uniqueKeysWithValues: imageIDs.map { ($0, store.matchReference(platformID: platform.id, imageID: $0)) })
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
final class PlatformMemory: Sendable {
    private let platforms = Mutex<[String: PlatformRecord]>([:])

    func get(_ prefix: String) -> PlatformRecord? {
        platforms.withLock { $0[prefix] }
    }

    func set(_ prefix: String, _ platform: PlatformRecord?) {
        platforms.withLock { $0[prefix] = platform }
    }
}

/// Matches answered while the database was away, to record when it returns (bounded: the oldest are
/// dropped past 100,000 pictures; the answers themselves were already given).
final class PendingMatches: Sendable {
    private struct State {
        var entries: [(PlatformRecord, [Int64])] = []
        var count = 0
    }

    private let state = Mutex(State())

    func append(_ platform: PlatformRecord, _ imageIDs: [Int64]) {
        state.withLock { state in
            state.entries.append((platform, imageIDs))
            state.count += imageIDs.count
            while state.count > 100_000, !state.entries.isEmpty { state.count -= state.entries.removeFirst().1.count }
        }
    }

    func takeAll() -> [(PlatformRecord, [Int64])] {
        state.withLock { state in
            defer { state = State() }
            return state.entries
        }
    }
}
