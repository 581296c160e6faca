import KoppelCore
import KoppelStore

// Areas' and funding agreements' rows of the one failure table.

extension FundingError {
    public var failure: Failure {
        switch self {
        case .areaNotFound:
            Failure(.notFound, code: "area.not_found", messageKey: "funding.error.area_not_found", detail: "There is no area with that id; see GET /api/v1/areas.")
        case .agreementNotFound:
            Failure(.notFound, code: "funding_agreement.not_found", messageKey: "funding.error.agreement_not_found",
                    detail: "There is no funding agreement with that id that you may see.")
        case .unknownArea:
            Failure(.invalid, code: "funding_agreement.unknown_area", messageKey: "funding.error.unknown_area",
                    detail: "area_id names no area; make the area first (POST /api/v1/areas) or pick one from GET /api/v1/areas.", field: "area_id")
        case .invalidAreaName:
            Failure(.invalid, code: "area.invalid_name", messageKey: "funding.error.area_name",
                    detail: "name must have 1 to 100 characters, with at least one letter or digit.", field: "name")
        case .areaNameTaken(let name):
            Failure(.conflict, code: "area.name_taken", messageKey: "funding.error.area_name_taken", arguments: ["name": [.text(name)]],
                    detail: "An area called '\(name)' exists already (names are compared without case or accents); choose another name or change that area.",
                    field: "name")
        case .descriptionTooLong:
            Failure(.invalid, code: "area.description_too_long", messageKey: "funding.error.description",
                    detail: "description may have at most 1000 characters.", field: "description")
        case .noMembers:
            Failure(.invalid, code: "area.no_members", messageKey: "funding.error.no_members",
                    detail: "An area needs at least one municipality or region: give municipalities (codes such as GM0518) or regions (codes such as CR12).",
                    field: "municipalities")
        case .tooManyMembers(let most):
            Failure(.invalid, code: "area.too_many_members", messageKey: "funding.error.too_many_members", arguments: ["most": [.text("\(most)")]],
                    detail: "An area may have at most \(most) members; name a region instead of its municipalities.", field: "municipalities")
        case .unknownPlaces(let places):
            Failure(.invalid, code: "area.unknown_places", messageKey: "funding.error.unknown_places",
                    arguments: ["places": places.map(Self.part)],
                    detail: "Koppel knows no municipality or region by \(places.map(Self.words).joined(separator: "; ")). "
                        + "Give municipality codes (CBS GM0518, NIS 21004) and region codes (CR12, PV27, NL) Koppel's reference data holds.",
                    field: "municipalities")
        case .areaInUse(let agreements, let programmes):
            Failure(.conflict, code: "area.in_use", messageKey: "funding.error.area_in_use",
                    arguments: ["agreements": [.text("\(agreements)")], "programmes": [.text(programmes.isEmpty ? "—" : programmes.joined(separator: ", "))]],
                    detail: "The area is still used by \(agreements) funding agreement(s)"
                        + (programmes.isEmpty ? "" : " and by the service areas of \(programmes.joined(separator: ", "))")
                        + "; change or delete those first.")
        case .areaNamedByProgrammes(let programmes):
            Failure(.conflict, code: "area.named_by_programmes", messageKey: "funding.error.area_named",
                    arguments: ["programmes": [.text(programmes.joined(separator: ", "))]],
                    detail: "The service areas of \(programmes.joined(separator: ", ")) name this area; renamed, it would leave them. "
                        + "Change those service areas first, or keep the name.", field: "name")
        case .invalidMonth(let field):
            Failure(.invalid, code: "funding_agreement.invalid_month", messageKey: "funding.error.month", arguments: ["field": [.key("funding.field.\(field)")]],
                    detail: "\(field) must be a month written YYYY-MM, such as 2026-01 (agreements run in whole months).", field: field)
        case .monthsOutOfOrder:
            Failure(.invalid, code: "funding_agreement.months_out_of_order", messageKey: "funding.error.months_order",
                    detail: "first_month must be on or before last_month.", field: "last_month")
        case .unknownFunder:
            Failure(.invalid, code: "funding_agreement.unknown_funder", messageKey: "funding.error.funder",
                    detail: "funder_id must be an organisation whose kinds include funder; see GET /api/v1/organisations.", field: "funder_id")
        case .unknownProgramme:
            Failure(.invalid, code: "funding_agreement.unknown_programme", messageKey: "funding.error.programme",
                    detail: "programme_id names no programme; see GET /api/v1/programmes.", field: "programme_id")
        case .invalidBudget:
            Failure(.invalid, code: "funding_agreement.invalid_budget", messageKey: "funding.error.budget",
                    detail: "budget_euros must be a whole number of euros from 0.", field: "budget_euros")
        case .invalidTargetPlaces:
            Failure(.invalid, code: "funding_agreement.invalid_target_places", messageKey: "funding.error.target_places",
                    detail: "target_places must be a whole number from 1 to 1000000.", field: "target_places")
        case .referenceTooLong:
            Failure(.invalid, code: "funding_agreement.reference_too_long", messageKey: "funding.error.reference",
                    detail: "reference may have at most 100 characters.", field: "reference")
        case .versionMismatch(let current):
            Failure(.versionMismatch, code: "funding.version_mismatch", messageKey: "funding.error.version",
                    arguments: ["current": [.text("\(current)")]],
                    detail: "It changed since you read it (it is now at version \(current)); read it again and make your change to what it is now.",
                    field: "version")
        }
    }

    /// A place that named nothing, for people: on the page's form by its line, with the places it could mean.
    static func part(_ place: UnknownPlace) -> MessagePart {
        guard let line = place.line else { return .text(place.text) }
        let arguments: [String: [MessagePart]] = [
            "line": [.text("\(line)")], "place": [.text(place.text)], "candidates": [.text(place.candidates.joined(separator: " / "))],
        ]
        return .key(place.candidates.isEmpty ? "funding.error.place_on_line" : "funding.error.place_ambiguous_on_line", arguments)
    }

    /// A place that named nothing: its line on the form, what was written, and what it could mean.
    static func words(_ place: UnknownPlace) -> String {
        var words = place.line.map { "line \($0): '\(place.text)'" } ?? "'\(place.text)'"
        if !place.candidates.isEmpty { words += " (one of \(place.candidates.joined(separator: ", ")))" }
        return words
    }
}
