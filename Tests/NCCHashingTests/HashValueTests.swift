import Testing
@testable import NCCHashing
@Test func pdqHexRoundTrip() throws {
    let text = "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"
    #expect(try PDQHash(hex: text).hex == text)
}
