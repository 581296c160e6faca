import Foundation
import HTTPTypes
import KoppelCore
import KoppelStore
import KoppelUseCases

/// A coded value with a label in the catalogues.
protocol CatalogueCoded: RawRepresentable where RawValue == String {
    var catalogueKey: String { get }
}

extension TargetGroup: CatalogueCoded {}
extension ReferralNeed: CatalogueCoded {}
extension ReferralUrgency: CatalogueCoded {}
extension ReferralReason: CatalogueCoded {}
extension EligibilityOverrideReason: CatalogueCoded {}
extension EligibilityRule: CatalogueCoded {}
extension ReferralState: CatalogueCoded {}
extension ReferralAction: CatalogueCoded {}

/// How referrals read on the pages, in the reader's language.
struct ReferralLabels {
    let catalogue: Catalogue

    func text(_ key: String) -> String { catalogue.text(key) }
    func text(_ key: String, _ values: [String: String]) -> String { catalogue.text(key, values) }

    private var dateFormat: Date.FormatStyle {
        Date.FormatStyle(date: .abbreviated, time: .shortened).locale(Locale(identifier: catalogue.language.rawValue))
    }

    /// A moment as the reader's language writes it.
    func time(_ date: Date) -> String { date.formatted(dateFormat) }

    /// Choices for a select, radio group or checkboxes.
    func options<Code: CatalogueCoded>(_ codes: [Code], selected: [String?]) -> [[String: Any]] {
        codes.map { ["value": $0.rawValue, "label": text($0.catalogueKey), "selected": selected.contains($0.rawValue)] }
    }

    func row(_ referral: Referral) -> [String: Any] {
        var row: [String: Any] = [
            "id": referral.id.uuidString.lowercased(), "client": referral.clientID.uuidString.lowercased().prefix(8).description,
            "programme": referral.programme.name, "referrer": referral.referringOrganisation.name,
            "state": text(referral.state.catalogueKey), "stateCode": referral.state.rawValue,
            "targetGroup": text(referral.targetGroup.catalogueKey), "ageBand": referral.ageBand.rawValue,
            "municipality": referral.municipality.name, "urgency": text(referral.urgency.catalogueKey),
            "created": time(referral.createdAt), "changed": time(referral.stateChangedAt),
        ]
        if let start = referral.requestedStart { row["requestedStart"] = start }
        if let position = referral.waitlistPosition { row["position"] = position }
        if !referral.overriddenRules.isEmpty, let reason = referral.overrideReason {
            row["override"] = [
                "rules": referral.overriddenRules.map { text($0.catalogueKey) }.joined(separator: ", "), "reason": text(reason.catalogueKey),
            ]
        }
        if let from = referral.forwardedFrom { row["forwardedFrom"] = from.uuidString.lowercased() }
        row["reference"] = ReferralReference.short(referral.id)
        if let deadline = deadline(referral) { row["deadline"] = deadline }
        return row
    }

    /// "Respond by 13 April 2026 (overdue)": the step the programme owes and where it stands today, for both sides.
    func deadline(_ referral: Referral) -> [String: Any]? {
        guard let deadline = referral.deadline else { return nil }
        let status = deadline.status(on: Day.today())
        return [
            "label": text("deadline.label.\(deadline.kind.rawValue)"), "date": catalogue.longDate(deadline.due),
            "iso": deadline.due.description, "status": text("deadline.status.\(status.rawValue)"), "late": status.isLate,
        ]
    }

    func event(_ event: ReferralEvent) -> [String: Any] {
        var row: [String: Any] = [
            "when": time(event.occurredAt), "isoWhen": event.occurredAt.formatted(.iso8601),
            "step": text(ReferralAction(rawValue: event.action).map(\.catalogueKey) ?? "referral.action.create"),
            "state": text(event.toState.catalogueKey), "organisation": event.organisation.name,
        ]
        if let name = event.userName { row["person"] = name }
        if let reason = event.reason { row["reason"] = text(reason.catalogueKey) }
        if let related = event.relatedReferralID { row["related"] = related.uuidString.lowercased() }
        return row
    }

    /// A programme to choose in the new-referral form, with who it is for and how many places are free.
    func programmeChoice(_ programme: Programme, places: ProgrammePlaces?, selected: Bool) -> [String: Any] {
        var choice: [String: Any] = [
            "value": programme.id.uuidString.lowercased(), "name": programme.name, "selected": selected,
            "eligibility": programme.eligibility.description.map { $0.text(in: catalogue.language) } ?? "",
            "areas": programme.serviceAreas.map(\.name).joined(separator: ", "),
        ]
        if let places, let free = places.placesFree {
            choice["places"] = text("referral.new.places", ["free": "\(free)", "total": "\(places.placesTotal ?? 0)", "waiting": "\(places.waitlisted)"])
        }
        return choice
    }

    /// What a referral error means on a page: the status and a message in the reader's language.
    /// The status and message of a referral error, from the one failure table.
    func problem(_ error: ReferralError) -> (HTTPResponse.Status, String) {
        (HTTPResponse.Status(error.failure.kind), catalogue.message(error.failure))
    }
}
