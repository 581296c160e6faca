import Foundation
import KoppelCore
import Testing

@Suite("Who hears that a referral changed")
struct ReferralAudienceTests {
    let referrer = UUID()
    let programmeSide = UUID()

    @Test("the referrer always; the programme side only once it was submitted")
    func audience() {
        #expect(Referral.audience(referrer: referrer, operatorID: programmeSide, submitted: true) == [referrer, programmeSide])
        #expect(Referral.audience(referrer: referrer, operatorID: programmeSide, submitted: false) == [referrer])
        #expect(Referral.audience(referrer: referrer, operatorID: referrer, submitted: true) == [referrer], "one organisation on both sides hears once")
    }

    @Test("a submission is filed to both sides; filing a draft tells no one")
    func filing() {
        #expect(Referral.audienceOfFiling(referrer: referrer, operatorID: programmeSide, submitted: true) == [referrer, programmeSide])
        #expect(Referral.audienceOfFiling(referrer: referrer, operatorID: programmeSide, submitted: false).isEmpty)
    }
}
