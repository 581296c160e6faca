import Foundation
import KoppelAPI
import KoppelCore

/// A directory programme as the API's HSDS-aligned schema, labels in the asked-for language.
enum ProgrammeRepresentation {
    static func make(_ programme: Programme, catalogue: Catalogue) -> Components.Schemas.Programme {
        let language = catalogue.language
        return Components.Schemas.Programme(
            id: programme.id.uuidString.lowercased(),
            name: programme.name,
            description: programme.description.text(in: language),
            url: programme.website,
            status: Components.Schemas.Programme.StatusPayload(rawValue: programme.status.hsdsStatus) ?? .inactive,
            organization: .init(
                id: programme.operatorOrganisation.id.uuidString.lowercased(),
                name: programme.operatorOrganisation.name,
                website: programme.operatorOrganisation.website),
            eligibilityDescription: programme.eligibility.description?.text(in: language),
            minimumAge: programme.eligibility.minimumAge,
            maximumAge: programme.eligibility.maximumAge,
            targetGroups: programme.eligibility.targetGroups.map {
                .init(code: $0.rawValue, name: catalogue.text($0.catalogueKey))
            },
            serviceAreas: programme.serviceAreas.map { .init(name: $0.name, extentType: $0.extent.rawValue) },
            languages: programme.languages.map {
                .init(code: $0, name: catalogue.text(LanguageNames.catalogueKey(forCode: $0)))
            },
            typicalDurationMonths: programme.typicalDurationMonths,
            responseWorkingDays: programme.responseTerms.responseDays, startWorkingDays: programme.responseTerms.startDays,
            reviewWorkingDays: programme.responseTerms.reviewDays,
            applicationProcess: programme.applicationProcess?.text(in: language)
        )
    }
}
