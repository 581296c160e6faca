import Foundation
import KoppelCore
import Testing

@Suite("Place names")
struct PlaceNameTests {
    @Test("names fold to lower case without accents or punctuation, so people's spellings meet")
    func folding() {
        #expect(PlaceName.folded("'s-Gravenhage") == "s gravenhage")
        #expect(PlaceName.folded("Súdwest-Fryslân") == PlaceName.folded("sudwest fryslan"))
        #expect(PlaceName.folded("  Bergen (NH.) ") == "bergen nh")
        #expect(PlaceName.folded("Liège") == "liege")
        #expect(PlaceName.folded("---") == "")
    }

    @Test("codes are read alone or in brackets after a name, in any case; anything else is no code")
    func codes() {
        #expect(PlaceName.code("gm0153") == "GM0153")
        #expect(PlaceName.code(" 21004 ") == "21004")
        #expect(PlaceName.code("Bergen (53053)") == "53053")
        #expect(PlaceName.code("Bergen (NH.)") == nil)
        #expect(PlaceName.code("GM015") == nil)
        #expect(PlaceName.code("2100４") == nil, "a full-width digit is no code")
        #expect(PlaceName.code("Enschede") == nil)
        #expect(PlaceName.code("GM") == nil && PlaceName.code("") == nil && PlaceName.code("  gm0153\t") == "GM0153")
    }

    @Test("the closest names to a mistyped one: those it begins, then those holding it, then small typos; nothing for nonsense")
    func closest() {
        let names = ["Enschede", "Emmen", "Ede", "Eindhoven", "Den Haag", "'s-Gravenhage", "Haaksbergen"]
        #expect(PlaceName.closest(to: "Enschde", among: names) == ["Enschede"])
        #expect(PlaceName.closest(to: "gravenh", among: names) == ["'s-Gravenhage"])
        #expect(PlaceName.closest(to: "Den", among: names).first == "Den Haag")
        #expect(PlaceName.closest(to: "Xyzzyplugh", among: names).isEmpty)
        #expect(PlaceName.closest(to: "", among: names).isEmpty)
    }
}
