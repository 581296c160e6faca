import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore
import KoppelUseCases

/// Searches: a searchset Bundle of what the caller may see, filtered by the parameters FHIRCapability lists.
extension FHIRDoor {
    func search(_ type: String, _ request: Request, _ actor: Actor) async throws -> Response {
        let definition = FHIRCapability.resources.first { $0.type == type }!
        let search = try FHIRSearch(request, resource: type, allowed: Set(definition.searchParameters.map(\.name)))
        switch type {
        case "ServiceRequest", "Task":
            return try await searchReferrals(type, search, request, actor)
        case "Patient":
            guard let id = try search.id("_id", type: "Patient") ?? search.values["identifier"].flatMap(Self.clientIdentifier) else {
                throw FHIRInvalid(kind: .structure, path: "Patient", key: "patient_search")
            }
            let found = try await Self.unlessNotFound { try await useCases.readClients.pseudonym(id, by: actor) }
            return try bundle(found.map { [FHIRDirectory.patient($0.id, registeredAt: $0.registeredAt)] } ?? [], request)
        case "Consent":
            guard let patient = try search.id("patient", type: "Patient") else { throw FHIRInvalid(kind: .structure, path: "Consent", key: "consent_search") }
            guard let (consents, today) = try await Self.unlessNotFound({ try await useCases.readConsents.run(of: patient, by: actor) }) else {
                return try bundle([], request)
            }
            let status = try search.tokens("status", known: ["active", "inactive"])
            let shown = consents.map { FHIRConsents.consent($0, today: today) }.filter { status?.contains($0["status"] as! String) ?? true }
            return try bundle(shown, request)
        case "HealthcareService":
            let (id, operatorID, name) = (try search.id("_id", type: type), try search.id("organization", type: "Organization"), search.values["name"])
            let active = try search.tokens("active", known: ["true", "false"])
            let programmes = try await directory.listedProgrammes().filter { programme in
                (id.map { $0 == programme.id } ?? true) && (operatorID.map { $0 == programme.operatorOrganisation.id } ?? true)
                    && (name.map { programme.name.localizedCaseInsensitiveContains($0) } ?? true)
                    && (active.map { $0.contains(programme.status == .open ? "true" : "false") } ?? true)
            }
            let places = try await referrals.places(actingFor: actor)
            let resources = programmes.map { FHIRDirectory.healthcareService($0, places: places[$0.id], language: language(request)) }
            return try page(resources, search, request)
        default:
            let (id, name) = (try search.id("_id", type: type), search.values["name"])
            let organisations = try await organisations.all().filter { organisation in
                (id.map { $0 == organisation.id } ?? true) && (name.map { organisation.name.localizedCaseInsensitiveContains($0) } ?? true)
            }
            return try page(organisations.map(FHIRDirectory.organization), search, request)
        }
    }

    func searchReferrals(_ type: String, _ search: FHIRSearch, _ request: Request, _ actor: Actor) async throws -> Response {
        let count = try search.count()
        var filter = ReferralFilter(limit: count + 1, after: try search.cursor())
        filter.changedSince = try search.lastUpdated()
        if type == "ServiceRequest" {
            filter.clientID = try search.id("subject", type: "Patient")
            filter.programmeID = try search.id("performer", type: "HealthcareService")
            if let statuses = try search.tokens("status", known: Set(ReferralState.allCases.map(\.serviceRequestStatus))) {
                filter.states = Set(ReferralState.allCases.filter { statuses.contains($0.serviceRequestStatus) })
            }
            if let identifier = search.values["identifier"] {
                let parts = identifier.split(separator: "|", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw FHIRInvalid(kind: .structure, path: "identifier", key: "identifier_search") }
                let found = try await useCases.readReferrals.one(identifiedBy: PartnerIdentifier(system: parts[0], value: parts[1]), by: actor)
                return try bundle(try await referralResources(type, found.map { [$0] } ?? [], actor), request)
            }
        } else {
            filter.operatorID = try search.id("owner", type: "Organization")
            if let statuses = try search.tokens("status", known: Set(ReferralState.allCases.map(\.fhirTaskStatus))) {
                filter.states = Set(ReferralState.allCases.filter { statuses.contains($0.fhirTaskStatus) })
            }
            if let focus = try search.id("focus", type: "ServiceRequest") {
                let found = try await Self.unlessNotFound { try await useCases.readReferrals.one(focus, by: actor) }
                let matching = found.map { [$0] }?.filter { filter.states.isEmpty || filter.states.contains($0.state) } ?? []
                return try bundle(try await referralResources(type, matching, actor), request)
            }
        }
        let found = try await useCases.readReferrals.list(filter, by: actor)
        let page = Array(found.prefix(count))
        let next = found.count > count ? page.last.map { ReferralCursor(createdAt: $0.createdAt, id: $0.id).token } : nil
        return try bundle(try await referralResources(type, page, actor), request, next: next)
    }

    /// One page of a short list (the directory's), `_count` long, from the offset `_cursor` holds.
    func page(_ resources: [FHIRResource], _ search: FHIRSearch, _ request: Request) throws -> Response {
        let (count, offset) = (try search.count(), try search.offset())
        let shown = Array(resources.dropFirst(offset).prefix(count))
        return try bundle(shown, request, next: offset + count < resources.count ? String(offset + count) : nil)
    }

    /// What a search by id finds: nothing when the use case says there is nothing the caller may see; any other
    /// refusal (the policy's) stands.
    private static func unlessNotFound<T>(_ body: () async throws -> T) async throws -> T? {
        do { return try await body() } catch let failure as Failure where failure.kind == .notFound { return nil }
    }

    func bundle(_ resources: [FHIRResource], _ request: Request, next: String? = nil) throws -> Response {
        try FHIRResponse.resource(FHIRSearch.bundle(resources, base: fullBase, request: request, next: next))
    }

    private static func clientIdentifier(_ token: String) -> UUID? {
        let parts = token.split(separator: "|", maxSplits: 1).map(String.init)
        return parts.count == 2 && parts[0] == FHIRCodes.clientID ? UUID(uuidString: parts[1]) : UUID(uuidString: token)
    }
}
