import Foundation
import KoppelCore

/// Koppel's directory as HSDS 3.0 documents (decision 0018 has the table). A programme is both an HSDS `service` and,
/// one to one, the `program` it is delivered under; its operator is the `organization`. Texts in the asked-for
/// language (Dutch where there is no translation). Directory data only: nothing here is about a person.
enum HSDSMapping {
    /// Where the free-places attribute points: Koppel's own small taxonomy, until HSDS 3.1's capacity object.
    static let taxonomy = "koppel"
    /// Koppel's taxonomy terms' ids are derived from this one, so they are the same on every server.
    static let taxonomyNamespace = UUID(uuidString: "6b6f7070-656c-4873-9473-746178000000")!

    static func service(_ entry: DirectoryEntry, catalogue: Catalogue, nested: Bool) -> HSDS.Service {
        let programme = entry.programme
        let language = catalogue.language
        let id = identifier(programme.id)
        var service = HSDS.Service(
            id: id, organizationID: identifier(programme.operatorOrganisation.id), programID: identifier(programID(programme.id)),
            name: programme.name, description: programme.description.text(in: language), url: programme.website,
            status: programme.status.hsdsStatus, applicationProcess: programme.applicationProcess?.text(in: language),
            eligibilityDescription: programme.eligibility.description?.text(in: language),
            minimumAge: programme.eligibility.minimumAge, maximumAge: programme.eligibility.maximumAge,
            assuredDate: entry.confirmedAt.map(DirectoryTime.day), lastModified: DirectoryTime.dateTime(entry.lastModified),
            organization: HSDS.Organization(
                id: identifier(programme.operatorOrganisation.id), name: programme.operatorOrganisation.name,
                description: entry.operatorDescription ?? catalogue.text("hsds.organization.description", ["name": programme.operatorOrganisation.name]),
                website: programme.operatorOrganisation.website),
            program: program(programme.id, operator: programme.operatorOrganisation.id, name: programme.name,
                             description: programme.description.text(in: language)))
        guard nested else { return service }
        service.serviceAreas = programme.serviceAreas.enumerated().map { index, area in
            HSDS.ServiceArea(
                id: identifier(DerivedIdentifier.make(programme.id, "service_area/\(index)")), serviceID: id, name: area.name,
                description: catalogue.text("hsds.extent.\(area.extent.rawValue)"))
        }
        service.languages = programme.languages.map { code in
            HSDS.Language(
                id: identifier(DerivedIdentifier.make(programme.id, "language/\(code)")), serviceID: id,
                name: catalogue.text(LanguageNames.catalogueKey(forCode: code)), code: code)
        }
        service.attributes = attributes(entry, catalogue: catalogue)
        return service
    }

    /// What HSDS 3.0 has no field for: the target groups the programme takes in, and its free places now (HSDS 3.1's
    /// `capacity` will carry those; decision 0018).
    static func attributes(_ entry: DirectoryEntry, catalogue: Catalogue) -> [HSDS.Attribute] {
        let programme = entry.programme
        let serviceID = identifier(programme.id)
        var attributes = programme.eligibility.targetGroups.map { group in
            HSDS.Attribute(
                id: identifier(DerivedIdentifier.make(programme.id, "attribute/target_group/\(group.rawValue)")), linkID: serviceID,
                linkType: "eligibility", linkEntity: "service", value: nil,
                taxonomyTerm: term("target_group:\(group.rawValue)", name: catalogue.text(group.catalogueKey),
                                   description: catalogue.text("hsds.term.target_group"), catalogue: catalogue))
        }
        if let free = entry.freePlaces {
            attributes.append(HSDS.Attribute(
                id: identifier(DerivedIdentifier.make(programme.id, "attribute/free_places")), linkID: serviceID,
                linkType: "capacity", linkEntity: "service", value: String(free),
                taxonomyTerm: term("free_places", name: catalogue.text("hsds.term.free_places.name"),
                                   description: catalogue.text("hsds.term.free_places.description"), catalogue: catalogue)))
        }
        return attributes
    }

    static func organization(_ organisation: DirectoryOrganisation, catalogue: Catalogue, nested: Bool) -> HSDS.Organization {
        let language = catalogue.language
        let id = identifier(organisation.id)
        var document = HSDS.Organization(
            id: id, name: organisation.name,
            description: organisation.description ?? catalogue.text("hsds.organization.description", ["name": organisation.name]),
            website: organisation.website)
        guard nested else { return document }
        document.programs = organisation.programmes.map {
            program($0.id, operator: organisation.id, name: $0.name, description: $0.description.text(in: language))
        }
        document.services = organisation.programmes.map {
            HSDS.ServiceSummary(
                id: identifier($0.id), organizationID: id, name: $0.name, description: $0.description.text(in: language),
                status: $0.status.hsdsStatus)
        }
        return document
    }

    static func page<Item, Document>(_ page: DirectoryPage<Item>, _ document: (Item) -> Document) -> HSDS.Page<Document> {
        HSDS.Page(
            totalItems: page.totalItems, totalPages: page.totalPages, pageNumber: page.pageNumber, size: page.items.count,
            firstPage: page.isFirstPage, lastPage: page.isLastPage, empty: page.isEmpty, contents: page.items.map(document))
    }

    /// The `program` a programme is delivered under: itself, with an id of its own derived from the programme's.
    static func programID(_ programme: UUID) -> UUID { DerivedIdentifier.make(programme, "program") }

    private static func program(_ programme: UUID, operator organisation: UUID, name: String, description: String) -> HSDS.Program {
        HSDS.Program(id: identifier(programID(programme)), organizationID: identifier(organisation), name: name, description: description)
    }

    private static func term(_ code: String, name: String, description: String, catalogue: Catalogue) -> HSDS.TaxonomyTerm {
        HSDS.TaxonomyTerm(
            id: identifier(DerivedIdentifier.make(taxonomyNamespace, "taxonomy_term/\(code)")), code: code, name: name,
            description: description, taxonomy: taxonomy, language: catalogue.language.rawValue)
    }

    static func identifier(_ id: UUID) -> String { id.uuidString.lowercased() }
}
