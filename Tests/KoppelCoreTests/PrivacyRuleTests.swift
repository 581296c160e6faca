import Foundation
import KoppelCore
import Testing

@Suite("Consent and disclosure rules")
struct PrivacyRuleTests {
    let referrer = UUID()
    let operatorID = UUID()
    let programme = UUID()
    let otherProgramme = UUID()
    let today = "2026-06-15"

    func consent(
        _ provisions: [ConsentProvision], status: ConsentStatus = .active, from: String = "2026-01-01", until: String? = nil
    ) -> Consent {
        Consent(
            id: UUID(), clientID: UUID(), status: status, grantor: .client, recordedBy: UUID(), recordingOrganisation: referrer,
            obtainedOn: from, evidence: .written, legalBasis: .explicitConsent, validFrom: from, validUntil: until, provisions: provisions)
    }

    func permit(_ actor: ConsentActor, _ purposes: Set<ConsentPurpose>, _ classes: Set<DataClass>, from: String? = nil, until: String? = nil)
        -> ConsentProvision
    {
        ConsentProvision(kind: .permit, actor: actor, purposes: purposes, dataClasses: classes, from: from, until: until)
    }

    @Test("a permit covers its actor, purpose, data class and period only")
    func permitScope() {
        let consents = [consent([permit(.programme(programme), [.referral, .shareIdentity], [.identity], until: "2026-12-31")])]
        func permits(_ organisation: UUID, _ programme: UUID?, _ purpose: ConsentPurpose, _ dataClass: DataClass?, _ day: String) -> Bool {
            ConsentEvaluation.permitting(consents, organisation: organisation, programme: programme, purpose: purpose, dataClass: dataClass, on: day) != nil
        }
        #expect(permits(operatorID, programme, .referral, nil, today))
        #expect(permits(operatorID, programme, .shareIdentity, .identity, today))
        #expect(!permits(operatorID, programme, .shareIdentity, .contact, today))
        #expect(!permits(operatorID, programme, .contact, .identity, today))
        #expect(!permits(operatorID, otherProgramme, .referral, nil, today))
        #expect(!permits(operatorID, nil, .referral, nil, today))
        #expect(!permits(operatorID, programme, .referral, nil, "2027-01-01"))
    }

    @Test("an organisation provision covers everything the organisation does, under any programme")
    func organisationProvision() {
        let consents = [consent([permit(.organisation(operatorID), [.referral], [.identity])])]
        #expect(ConsentEvaluation.permitting(consents, organisation: operatorID, programme: programme, purpose: .referral, dataClass: nil, on: today) != nil)
        #expect(ConsentEvaluation.permitting(consents, organisation: referrer, programme: nil, purpose: .referral, dataClass: nil, on: today) == nil)
    }

    @Test("a deny wins over every permit, in the same consent or another")
    func denyWins() {
        let deny = ConsentProvision(kind: .deny, actor: .programme(programme), purposes: [.contact], dataClasses: [.contact])
        let broad = permit(.organisation(operatorID), [.referral, .contact], [.identity, .contact])
        for consents in [[consent([broad, deny])], [consent([broad]), consent([deny])]] {
            #expect(ConsentEvaluation.permitting(consents, organisation: operatorID, programme: programme, purpose: .contact, dataClass: .contact, on: today) == nil)
            #expect(ConsentEvaluation.permitting(consents, organisation: operatorID, programme: programme, purpose: .referral, dataClass: .identity, on: today) != nil)
        }
    }

    @Test("withdrawn, expired and not yet valid consents permit nothing")
    func notInForce() {
        let provision = permit(.programme(programme), [.referral], [.identity])
        for consent in [
            consent([provision], status: .withdrawn), consent([provision], status: .expired), consent([provision], until: "2026-06-14"),
            consent([provision], from: "2026-06-16"),
        ] {
            #expect(ConsentEvaluation.permitting([consent], organisation: operatorID, programme: programme, purpose: .referral, dataClass: nil, on: today) == nil)
        }
        #expect(consent([provision], until: "2026-06-14").status(on: today) == .expired)
        #expect(consent([provision], until: "2026-06-15").status(on: today) == .active)
    }

    @Test("a new consent is checked: real days, a period in order, at least one permit with a purpose and a data class")
    func newConsentProblems() {
        func problems(_ change: (inout NewConsent) -> Void) -> [String] {
            var new = NewConsent(
                grantor: .client, obtainedOn: "2026-06-01", evidence: .verbal, legalBasis: .explicitConsent, validFrom: "2026-06-01",
                validUntil: nil, provisions: [permit(.programme(programme), [.referral], [.identity])])
            change(&new)
            return new.problems(today: today)
        }
        #expect(problems { _ in }.isEmpty)
        #expect(problems { $0.obtainedOn = "2026-02-30" }.contains { $0.contains("obtained_on") })
        #expect(problems { $0.obtainedOn = "2026-07-01" }.contains { $0.contains("future") })
        #expect(problems { $0.validUntil = "2026-05-01" }.contains { $0.contains("valid_until") })
        #expect(problems { $0.provisions = [] }.count >= 1)
        #expect(problems { $0.provisions[0].kind = .deny }.contains { $0.contains("permit nothing") })
        #expect(problems { $0.provisions[0].purposes = [] }.contains { $0.contains("no purpose") })
    }

    @Test("reveal: the receiving programme sees only while the referral is open, only the classes consent permits; others never")
    func reveal() throws {
        let consents = [
            consent([
                permit(.organisation(referrer), [.referral, .shareIdentity, .contact], Set(DataClass.allCases)),
                permit(.programme(programme), [.referral, .shareIdentity], [.identity]),
            ])
        ]
        let scope = ReferralScope(referringOrganisation: referrer, programme: programme)
        let coordinator = Actor(userID: UUID(), organisationID: operatorID, roles: [.coordinator], coordinatedProgrammes: [programme])
        let caseworker = Actor(userID: UUID(), organisationID: referrer, roles: [.caseworker])
        for state in ReferralState.allCases {
            let result = Disclosure.reveal(coordinator, through: .referral(scope, state: state), purpose: .shareIdentity, consents: consents, on: today)
            if [.submitted, .waitlisted, .accepted, .active].contains(state) {
                #expect(try result.get().fields == [.name, .birthDate, .gender, .nationality, .languages], "\(state)")
            } else {
                #expect(result == .failure(.referralClosed(state)), "\(state)")
            }
        }
        let open = ClientRoute.referral(scope, state: .accepted)
        #expect(Disclosure.reveal(coordinator, through: open, purpose: .contact, consents: consents, on: today) == .failure(.noConsent(.contact)))
        #expect(try Disclosure.reveal(caseworker, through: open, purpose: .contact, consents: consents, on: today).get().fields.contains(.phone))
        #expect(try Disclosure.reveal(caseworker, through: .registeringOrganisation(referrer), purpose: .shareIdentity, consents: consents, on: today)
            .get().fields.count == IdentityField.allCases.count)
        let funder = Actor(userID: UUID(), organisationID: referrer, roles: [.funder])
        #expect(Disclosure.reveal(caseworker, through: open, purpose: .referral, consents: consents, on: today) == .failure(.notARevealPurpose))
        #expect(Disclosure.reveal(funder, through: .registeringOrganisation(referrer), purpose: .shareIdentity, consents: consents, on: today)
            == .failure(.policy(.missingRole(.caseworker))))
        let otherCoordinator = Actor(userID: UUID(), organisationID: operatorID, roles: [.coordinator], coordinatedProgrammes: [otherProgramme])
        #expect(Disclosure.reveal(otherCoordinator, through: open, purpose: .shareIdentity, consents: consents, on: today)
            == .failure(.policy(.notCoordinatorOfProgramme)))
        let stranger = Actor(userID: UUID(), organisationID: UUID(), roles: [.caseworker])
        #expect(Disclosure.reveal(stranger, through: .registeringOrganisation(referrer), purpose: .shareIdentity, consents: consents, on: today)
            == .failure(.policy(.notReferrer)))
        // Without consent, not even the registering organisation sees anything.
        #expect(Disclosure.reveal(caseworker, through: .registeringOrganisation(referrer), purpose: .contact, consents: [], on: today)
            == .failure(.noConsent(.contact)))
    }

    @Test("only an org-admin who is a caseworker of the referrer may submit without consent; erasure is the org-admin's")
    func overrideAndErasure() {
        let organisation = UUID()
        let both = Actor(userID: UUID(), organisationID: organisation, roles: [.caseworker, .orgAdmin])
        #expect(AccessPolicy.decide(both, .overrideMissingConsent(referringOrganisation: organisation)) == .allow)
        #expect(AccessPolicy.decide(both, .overrideMissingConsent(referringOrganisation: UUID())) == .deny(.notReferrer))
        let caseworker = Actor(userID: UUID(), organisationID: organisation, roles: [.caseworker])
        #expect(AccessPolicy.decide(caseworker, .overrideMissingConsent(referringOrganisation: organisation)) == .deny(.missingRole(.orgAdmin)))
        #expect(AccessPolicy.decide(caseworker, .eraseClient(organisation: organisation)) == .deny(.missingRole(.orgAdmin)))
        #expect(AccessPolicy.decide(both, .eraseClient(organisation: organisation)) == .allow)
        #expect(AccessPolicy.decide(caseworker, .registerClient(organisation: organisation)) == .allow)
        let hubAdmin = Actor(userID: UUID(), organisationID: organisation, roles: [.hubAdmin])
        #expect(AccessPolicy.decide(hubAdmin, .manageClient(organisation: organisation)) == .deny(.missingRole(.caseworker)))
    }

    @Test("the duplicate key ignores case, accents, punctuation and the order of name parts")
    func duplicateKey() {
        let key = DuplicateKey.normalised(name: "Zoë  van der Berg", birthDate: "1990-01-01")
        #expect(DuplicateKey.normalised(name: "BERG, zoe van der", birthDate: "1990-01-01") == key)
        #expect(DuplicateKey.normalised(name: "Zoë van den Berg", birthDate: "1990-01-01") != key)
        #expect(DuplicateKey.normalised(name: "Zoë van der Berg", birthDate: "1990-01-02") != key)
    }

    @Test("an identity needs a name and a real birth date; e-mail and phone must look like them")
    func identityProblems() {
        #expect(ClientIdentity([.name: "A", .birthDate: "1990-01-01"]).problems(complete: true).isEmpty)
        #expect(ClientIdentity([:]).problems(complete: true).count == 2)
        #expect(ClientIdentity([.name: "A", .birthDate: "1990-13-01"]).problems(complete: true).count == 1)
        #expect(ClientIdentity([.email: "not-an-address"]).problems(complete: false).count == 1)
        #expect(ClientIdentity([.phone: "call me"]).problems(complete: false).count == 1)
        #expect(ClientIdentity([.notes: String(repeating: "x", count: 4001)]).problems(complete: false).count == 1)
        #expect(ClientIdentity([.name: "  ", .phone: ""]).cleaned.values.isEmpty)
    }
}
