import Foundation
import KoppelCore
import KoppelStore
import KoppelUseCases

/// The funding agreement form as posted: every field text, turned into the use case's input here. A number that is
/// not one is reported as the field's failure, not trapped.
struct AgreementForm: AntiForgeryForm {
    var funder: String?
    var programme: String?
    var area: String?
    var first_month: String?
    var last_month: String?
    var budget: String?
    var target_places: String?
    var reference: String?
    var version: String?
    var csrf_token: String

    static let empty = AgreementForm(csrf_token: "")

    init(csrf_token: String) {
        self.csrf_token = csrf_token
    }

    init(_ agreement: FundingAgreement) {
        csrf_token = ""
        funder = agreement.funder.id.uuidString
        programme = agreement.programme.id.uuidString
        area = agreement.area.id.uuidString
        first_month = agreement.firstMonth
        last_month = agreement.lastMonth
        budget = agreement.budgetEuros.map(String.init)
        target_places = agreement.targetPlaces.map(String.init)
        reference = agreement.reference
        version = String(agreement.version)
    }

    func draft() throws -> AgreementDraft {
        guard let funder = id(funder) else { throw FundingError.unknownFunder.failure }
        guard let programme = id(programme) else { throw FundingError.unknownProgramme.failure }
        guard let area = id(area) else { throw FundingError.unknownArea.failure }
        return AgreementDraft(
            funderID: funder, programmeID: programme, areaID: area, firstMonth: text(first_month) ?? "", lastMonth: text(last_month) ?? "",
            budgetEuros: try number(budget, else: .invalidBudget), targetPlaces: try number(target_places, else: .invalidTargetPlaces),
            reference: text(reference))
    }

    /// Every field replaces the agreement's; an empty budget, target or reference clears it.
    func change() throws -> AgreementChange {
        let draft = try draft()
        var change = AgreementChange()
        change.funderID = draft.funderID
        change.programmeID = draft.programmeID
        change.areaID = draft.areaID
        change.firstMonth = draft.firstMonth
        change.lastMonth = draft.lastMonth
        change.budgetEuros = draft.budgetEuros
        change.targetPlaces = draft.targetPlaces
        change.reference = draft.reference
        if draft.budgetEuros == nil { change.clear.insert(.budgetEuros) }
        if draft.targetPlaces == nil { change.clear.insert(.targetPlaces) }
        if draft.reference == nil { change.clear.insert(.reference) }
        return change
    }

    private func text(_ value: String?) -> String? {
        let trimmed = value?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return trimmed.isEmpty ? nil : trimmed
    }

    private func id(_ value: String?) -> UUID? {
        text(value).flatMap(UUID.init(uuidString:))
    }

    /// Digits only (spaces and dots as people group thousands are dropped); too long or not a number is `error`.
    private func number(_ value: String?, else error: FundingError) throws -> Int? {
        guard let text = text(value)?.filter({ $0 != " " && $0 != "." }) else { return nil }
        guard text.count <= 15, text.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(text) else { throw error.failure }
        return number
    }
}
