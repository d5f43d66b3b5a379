import Testing
@Test func placeholderIndex() { #expect(1 + 1 == 2) }
