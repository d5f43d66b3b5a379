/// SplitMix64: a small, fast, seeded random generator that gives the same sequence on every machine.
///
/// The project uses it wherever randomness must be reproducible: synthetic index workloads (the faiss
/// comparison script reproduces it), the evaluation's noise, and mutated images in the tests. Not for
/// secrets: case secrets and API keys come from the system's generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
