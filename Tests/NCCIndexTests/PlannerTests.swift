import Testing
@testable import NCCIndex

/// The multi-index layout the planner picks for PDQ banks of the sizes the service meets, and what it may cost.
@Suite("Planner")
struct PlannerTests {
    /// From 1 to 18 million PDQ codes the planner keeps 11 tables of 23-24 bits, the layout that answers fastest
    /// at these sizes (`nccmatch bench`: 1.5-2.2 times the queries a second of 12-13 tables from 2 million up);
    /// a budget of 16 bytes an entry forced 12-13 narrower tables there.
    @Test(arguments: [1_000_000, 2_000_000, 5_000_000, 10_000_000, 17_800_000])
    func largeBanksKeepTwentyFourBitTables(entries: Int) throws {
        let layout = try #require(Planner.chooseLayout(words: 4, entries: entries, designDistance: 31))
        #expect(layout.count == 11)
        #expect(layout.allSatisfy { $0.bits == 23 || $0.bits == 24 })
    }

    /// Whatever the size, directories and starts stay within the budget: 64 bytes an entry or 96 MiB, and never
    /// more than 512 bytes an entry (small segments stay small).
    @Test(arguments: [2_048, 50_000, 1_000_000, 17_800_000, 40_000_000])
    func directoriesStayWithinBudget(entries: Int) {
        guard let layout = Planner.chooseLayout(words: 4, entries: entries, designDistance: 31) else { return }
        let bytes = layout.reduce(0) {
            $0 + SegmentLayout.directoryBytes(bits: $1.bits) + SegmentLayout.startsCount(bits: $1.bits, count: entries) * 4
        }
        #expect(bytes <= min(max(64 * entries, 96 << 20), 512 * entries))
    }
}
