import Testing

@testable import KoppelCore

@Suite("Place names folded without Foundation")
struct PlaceNameFoldingTests {
    /// A small deterministic generator, so a failure can be run again as it was.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("for ASCII, the quick fold is the fold: every character alone and 5,000 random names")
    func sameAsFoundation() {
        var names = (0..<128).map { String(UnicodeScalar(UInt8($0))) }
        names += ["'s-Gravenhage", "  Bergen (NH.) ", "Den Bosch", "GM0153", "Sint-Genesius-Rode", "---", ""]
        var random = SplitMix(state: 23)
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...24, using: &random)
            names.append(String((0..<length).map { _ in Character(UnicodeScalar(UInt8.random(in: 0...127, using: &random))) }))
        }
        for name in names {
            #expect(PlaceName.foldedASCII(name) == PlaceName.foldedByFoundation(name), "\(name.unicodeScalars.map(\.value))")
        }
    }
}
