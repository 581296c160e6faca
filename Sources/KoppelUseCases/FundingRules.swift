import Foundation
import KoppelCore
import KoppelStore

/// The checks areas and agreements share: who may change them, and the form of what a client sends, before any of
/// it reaches the driver (an integer out of a column's range is an error there, a malformed code a wasted query).
enum FundingRules {
    static let maximumMembers = 1000
    static let maximumBudget = 1_000_000_000_000
    static let maximumTargetPlaces = 1_000_000

    static func mayManage(_ actor: Actor) throws {
        if case .deny(let reason) = AccessPolicy.decide(actor, .manageFundingAgreements) { throw reason.failure }
    }

    static func check(version: Int) throws {
        guard (1...Int(Int32.max)).contains(version) else {
            throw Failure(.invalid, code: "funding.version", messageKey: "funding.error.version_invalid",
                          detail: "version must be the whole number you read, from 1.", field: "version")
        }
    }

    /// A municipality's CBS or NIS code, or a region's code, as the reference data writes them.
    static func wellFormed(_ member: NamedArea.Member) -> Bool {
        switch member {
        case .municipality(let code): code.wholeMatch(of: /GM[0-9]{4}|[0-9]{5}/) != nil
        case .region(let code): code.wholeMatch(of: /[A-Z0-9]{2,12}/) != nil
        }
    }

    /// A month written `YYYY-MM`, between 2000 and 2099 (the years agreements and reports span).
    static func month(_ text: String, field: String) throws -> String {
        guard text.wholeMatch(of: /20[0-9]{2}-(0[1-9]|1[0-2])/) != nil else { throw FundingError.invalidMonth(field: field).failure }
        return text
    }

    /// The draft's form: months, their order, budget, target places and reference.
    static func check(_ draft: AgreementDraft) throws -> AgreementDraft {
        var draft = draft
        draft.firstMonth = try month(draft.firstMonth, field: "first_month")
        draft.lastMonth = try month(draft.lastMonth, field: "last_month")
        guard draft.firstMonth <= draft.lastMonth else { throw FundingError.monthsOutOfOrder.failure }
        if let budget = draft.budgetEuros, !(0...maximumBudget).contains(budget) { throw FundingError.invalidBudget.failure }
        if let places = draft.targetPlaces, !(1...maximumTargetPlaces).contains(places) { throw FundingError.invalidTargetPlaces.failure }
        let reference = draft.reference?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (reference?.count ?? 0) <= 100 else { throw FundingError.referenceTooLong.failure }
        draft.reference = reference?.isEmpty == false ? reference : nil
        return draft
    }
}
