import Foundation
import HTTPTypes
import KoppelCore
@testable import KoppelServer
import KoppelStore
import KoppelUseCases
import Testing

/// The one table of failures: every failure a use case can report reads in both languages, and each door's status
/// comes from it.
@Suite("Failure table")
struct FailureTableTests {
    let catalogues = try! Catalogues.bundled()

    static let referralErrors: [ReferralError] = [
        .notFound, .programmeNotFound, .unknownMunicipality("Atlantis", suggestions: []), .unknownMunicipality("Enschde", suggestions: ["Enschede"]),
        .ambiguousMunicipality("Bergen", candidates: ["Bergen (NH.) (GM0373)", "Bergen (L.) (GM0893)"]),
        .endedMunicipality("Weesp", endedOn: "2022-03-24", successor: "Amsterdam"), .denied(.notReferrer), .denied(.notSignedIn),
        .impossibleStep(.impossible(action: .complete, state: .submitted, allowed: [.accept, .withdraw])),
        .impossibleStep(.reasonRequired(action: .decline, allowed: [.notEligible])), .ineligible(EligibilityRule.allCases),
        .noPlaceFree(placesTotal: 12), .forwardTargetMissing, .forwardToSameProgramme, .idempotencyKeyReused, .unknownClient,
        .clientErased, .noConsent(programme: "PIMENTA"), .versionMismatch(current: 3),
    ]
    static let privacyErrors: [PrivacyError] = [
        .notFound, .consentNotFound, .consentNotActive(.withdrawn), .erased, .denied(.otherOrganisation),
        .disclosure(.referralClosed(.declined)), .disclosure(.noConsent(.contact)), .disclosure(.notARevealPurpose),
        .invalid(["obtained_on cannot lie in the future."]), .tooManyLookups(retryAfterSeconds: 60),
    ]

    static let identityErrors: [IdentityError] = [.emailTaken, .invalidEmail, .invalidName, .programmeNotOperated]

    static let fundingErrors: [FundingError] = [
        .areaNotFound, .agreementNotFound, .unknownArea, .invalidAreaName, .areaNameTaken("Twente"), .descriptionTooLong, .noMembers,
        .tooManyMembers(1000), .unknownPlaces([.init(line: nil, text: "GM9999")]),
        .unknownPlaces([.init(line: 3, text: "Atlantis"), .init(line: 4, text: "Bergen", candidates: ["Bergen (GM0373)", "Bergen (GM0893)"])]),
        .areaInUse(agreements: 2, programmes: ["2GO maatjesprojecten"]), .areaInUse(agreements: 1, programmes: []), .areaNamedByProgrammes(["Aan de Slag"]),
        .invalidMonth(field: "first_month"), .invalidMonth(field: "last_month"), .monthsOutOfOrder, .unknownFunder, .unknownProgramme,
        .invalidBudget, .invalidTargetPlaces, .referenceTooLong, .versionMismatch(current: 4),
    ]

    var failures: [Failure] {
        Self.referralErrors.map(\.failure) + Self.privacyErrors.map(\.failure) + Self.identityErrors.map(\.failure) + Self.fundingErrors.map(\.failure)
    }

    @Test("every failure's message and every key in its arguments is in both catalogues, with no placeholder left open")
    func messagesInBothLanguages() {
        for failure in failures {
            for language in [UILanguage.dutch, .english] {
                let catalogue = catalogues[language]
                #expect(catalogue.strings[failure.messageKey] != nil, "\(failure.code): \(language) lacks \(failure.messageKey)")
                let message = catalogue.message(failure)
                #expect(!message.contains("{"), "\(failure.code) in \(language): \(message)")
                for key in Self.keys(in: failure.arguments.values.flatMap { $0 }) {
                    #expect(catalogue.strings[key] != nil, "\(failure.code): \(language) lacks \(key)")
                }
            }
            #expect(!failure.detail.isEmpty && failure.code.contains("."))
        }
    }

    static func keys(in parts: [MessagePart]) -> [String] {
        parts.flatMap { part -> [String] in
            guard case .key(let key, let arguments) = part else { return [] }
            return [key] + keys(in: arguments.values.flatMap { $0 })
        }
    }

    @Test("the doors agree: the API's status is the table's, the page's the same, FHIR's differs only where FHIR says so")
    func doorsAgree() {
        for failure in failures {
            #expect(Problem(failure).status == HTTPResponse.Status(failure.kind))
            let fhir = FHIROutcome.status(failure.kind)
            #expect(fhir == HTTPResponse.Status(failure.kind) || (failure.kind == .conflict && fhir == .unprocessableContent), "\(failure.code)")
        }
        #expect(ReferralError.clientErased.failure.kind == .invalid, "filing for an erased client is bad input, in every door")
        #expect(ReferralError.noPlaceFree(placesTotal: 1).failure.kind == .conflict)
        #expect(IdentityError.emailTaken.failure.kind == .conflict, "a taken address is a conflict on the admin page as in the API")
        #expect(PrivacyError.tooManyLookups(retryAfterSeconds: 60).failure.retryAfterSeconds == 60)
    }

    @Test("the failures of a use case name the input at fault, which FHIR turns into an element path")
    func fieldsHaveElements() {
        for failure in failures {
            guard let field = failure.field else { continue }
            // Users, areas and agreements have no FHIR door.
            guard !["user.", "area.", "funding"].contains(where: failure.code.hasPrefix) else { continue }
            let known = ["ServiceRequest", "Task", "Consent"].contains { FHIRReferrals.elements(of: $0)[field] != nil }
            #expect(known, "\(failure.code) names \(field), which has no FHIR element")
        }
    }
}
