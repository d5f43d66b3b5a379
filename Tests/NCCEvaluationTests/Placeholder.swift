import Testing
@Test func placeholderEvaluation() { #expect(1 + 1 == 2) }
