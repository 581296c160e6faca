import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore
import KoppelUseCases

/// The FHIR R4 door at /fhir/r4: the same bearer tokens, access policy and row-level security as the JSON API, the same
/// use cases behind it. It maps resources to use-case input and back, and decides nothing itself (decision 0019).
struct FHIRDoor {
    static let base = "/fhir/r4"
    let useCases: UseCases
    let directory: any ProgrammeDirectory
    let organisations: OrganisationStore
    let referrals: ReferralStore
    let catalogues: Catalogues
    let publicURL: String

    func register(on routes: RouteRegistrar) {
        routes.get("\(Self.base)/metadata") { _, _ in try FHIRResponse.resource(FHIRCapability.statement(publicURL: publicURL)) }
        for resource in FHIRCapability.resources {
            let path = "\(Self.base)/\(resource.type)"
            routes.get(path) { request, _ in try await answer(request, resource.type) { actor in try await search(resource.type, request, actor) } }
            routes.get("\(path)/{id}") { request, context in
                try await answer(request, resource.type) { actor in try await read(resource.type, id: try Self.id(context), actor, request: request) }
            }
            if resource.interactions.contains("create") {
                routes.post(path) { request, _ in try await answer(request, resource.type) { actor in try await create(resource.type, request, actor) } }
            }
            if resource.interactions.contains("update") {
                routes.put("\(path)/{id}") { request, context in
                    try await answer(request, resource.type) { actor in try await update(resource.type, id: try Self.id(context), request, actor) }
                }
            }
        }
    }

    /// Runs a handler for a signed-in caller and turns every refusal into an OperationOutcome in their language.
    private func answer(_ request: Request, _ type: String, _ handler: (Actor) async throws -> Response) async throws -> Response {
        let catalogue = catalogues[UILanguage.negotiate(parameter: nil, cookie: nil, acceptLanguage: request.headers[.acceptLanguage])]
        do {
            guard let actor = RequestIdentity.current.actor else { throw DenialReason.notSignedIn.failure }
            return try await handler(actor)
        } catch let invalid as FHIRInvalid {
            return try FHIROutcome.response(invalid, catalogue: catalogue)
        } catch let failure as Failure {
            return try FHIROutcome.response(failure, catalogue: catalogue, elements: FHIRReferrals.elements(of: type))
        }
    }

    private static func id(_ context: AppRequestContext) throws -> UUID {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw Failure(.notFound, code: "fhir.not_found", messageKey: "fhir.error.not_found", detail: "Koppel's ids are UUIDs; there is nothing with that id.")
        }
        return id
    }

    private var fullBase: String { publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL }

    // MARK: - Read

    private func read(_ type: String, id: UUID, _ actor: Actor, request: Request) async throws -> Response {
        switch type {
        case "ServiceRequest", "Task":
            let referral = try await useCases.readReferrals.one(id, by: actor)
            return try FHIRResponse.resource(try await referralResources(type, [referral], actor)[0])
        case "Patient":
            let (client, registeredAt) = try await useCases.readClients.pseudonym(id, by: actor)
            return try FHIRResponse.resource(FHIRDirectory.patient(client, registeredAt: registeredAt))
        case "Consent":
            let (consent, today) = try await useCases.readClients.consent(id, by: actor)
            return try FHIRResponse.resource(FHIRConsents.consent(consent, today: today))
        case "HealthcareService":
            guard let programme = try await directory.programme(id: id) else { throw notFound(type) }
            let places = try await referrals.places(of: id, actingFor: actor)
            return try FHIRResponse.resource(FHIRDirectory.healthcareService(programme, places: places, language: language(request)))
        default:
            guard let organisation = try await organisations.all().first(where: { $0.id == id }) else { throw notFound(type) }
            return try FHIRResponse.resource(FHIRDirectory.organization(organisation))
        }
    }

    private func notFound(_ type: String) -> Failure {
        Failure(.notFound, code: "fhir.not_found", messageKey: "fhir.error.not_found", detail: "There is no \(type) with that id.")
    }

    private func language(_ request: Request) -> UILanguage {
        UILanguage.negotiate(parameter: nil, cookie: nil, acceptLanguage: request.headers[.acceptLanguage])
    }

    /// ServiceRequests or Tasks of referrals, with their partner identifiers and (Tasks) the reason of their last step.
    private func referralResources(_ type: String, _ found: [Referral], _ actor: Actor) async throws -> [FHIRResource] {
        let identifiers = try await useCases.readReferrals.partnerIdentifiers(of: found, by: actor)
        var resources: [FHIRResource] = []
        for referral in found {
            let ids = identifiers[referral.id] ?? []
            if type == "ServiceRequest" {
                resources.append(FHIRReferrals.serviceRequest(referral, identifiers: ids))
            } else {
                let reason = [.declined, .withdrawn, .ended].contains(referral.state)
                    ? try await referrals.history(of: referral.id, actingFor: actor).last?.reason : nil
                resources.append(FHIRReferrals.task(referral, reason: reason, identifiers: ids))
            }
        }
        return resources
    }

    // MARK: - Search

    private func search(_ type: String, _ request: Request, _ actor: Actor) async throws -> Response {
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
            let (consents, today) = try await useCases.readConsents.run(of: patient, by: actor)
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
            return try bundle(programmes.map { FHIRDirectory.healthcareService($0, places: places[$0.id], language: language(request)) }, request)
        default:
            let (id, name) = (try search.id("_id", type: type), search.values["name"])
            let organisations = try await organisations.all().filter { organisation in
                (id.map { $0 == organisation.id } ?? true) && (name.map { organisation.name.localizedCaseInsensitiveContains($0) } ?? true)
            }
            return try bundle(organisations.map(FHIRDirectory.organization), request)
        }
    }

    private func searchReferrals(_ type: String, _ search: FHIRSearch, _ request: Request, _ actor: Actor) async throws -> Response {
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

    /// What a search by id finds: nothing when the use case says there is nothing the caller may see; any other
    /// refusal (the policy's) stands.
    private static func unlessNotFound<T>(_ body: () async throws -> T) async throws -> T? {
        do { return try await body() } catch let failure as Failure where failure.kind == .notFound { return nil }
    }

    private func bundle(_ resources: [FHIRResource], _ request: Request, next: String? = nil) throws -> Response {
        try FHIRResponse.resource(FHIRSearch.bundle(resources, base: fullBase, request: request, next: next))
    }

    private static func clientIdentifier(_ token: String) -> UUID? {
        let parts = token.split(separator: "|", maxSplits: 1).map(String.init)
        return parts.count == 2 && parts[0] == FHIRCodes.clientID ? UUID(uuidString: parts[1]) : UUID(uuidString: token)
    }

    // MARK: - Create and update

    private func create(_ type: String, _ request: Request, _ actor: Actor) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        if type == "Consent" {
            let incoming = try IncomingConsent(try FHIRInput.resource(body, type: "Consent"))
            let consent = try await useCases.recordConsent.run(incoming.consent, for: incoming.clientID, by: actor)
            let resource = FHIRConsents.consent(consent, today: WallClock.current.today())
            return try FHIRResponse.resource(resource, status: .created, location: "\(fullBase)\(Self.base)/Consent/\(consent.id.uuidString.lowercased())")
        }
        let incoming = try IncomingServiceRequest(try FHIRInput.resource(body, type: "ServiceRequest"))
        let identifier = try conditionalIdentifier(request, body: incoming.identifier)
        let referral: Referral
        var created = true
        if let identifier {
            (referral, created) = try await useCases.fileReferral.runOnce(incoming.referral, identifier: identifier, by: actor)
        } else {
            guard case .done(let filed) = try await useCases.fileReferral.run(incoming.referral, by: actor) else { preconditionFailure("no key, no replay") }
            referral = filed
        }
        let resource = try await referralResources("ServiceRequest", [referral], actor)[0]
        return try FHIRResponse.resource(
            resource, status: created ? .created : .ok, location: "\(fullBase)\(Self.base)/ServiceRequest/\(referral.id.uuidString.lowercased())")
    }

    /// The identifier a create is conditional on: `If-None-Exist: identifier=system|value`, which must agree with the
    /// resource's own identifier when it has one; else the resource's identifier.
    private func conditionalIdentifier(_ request: Request, body: PartnerIdentifier?) throws -> PartnerIdentifier? {
        guard let header = request.headers[.ifNoneExist] else { return body }
        let parts = header.hasPrefix("identifier=") ? header.dropFirst("identifier=".count).split(separator: "|", maxSplits: 1).map(String.init) : []
        guard parts.count == 2 else { throw FHIRInvalid(kind: .structure, path: "If-None-Exist", key: "if_none_exist") }
        let asked = PartnerIdentifier(system: parts[0].removingPercentEncoding ?? parts[0], value: parts[1].removingPercentEncoding ?? parts[1])
        if let body, body != asked { throw FHIRInvalid(kind: .value, path: "ServiceRequest.identifier", key: "identifier_differs") }
        return asked
    }

    private func update(_ type: String, id: UUID, _ request: Request, _ actor: Actor) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        let input = try FHIRInput.resource(body, type: "Task")
        if let given = try input.string("id"), given.lowercased() != id.uuidString.lowercased() {
            throw FHIRInvalid(kind: .structure, path: "Task.id", key: "id_differs")
        }
        let current = try await useCases.readReferrals.one(id, by: actor)
        let expected = try Self.expectedVersion(request)
        if let expected, expected != current.version { throw ReferralError.versionMismatch(current: current.version).failure }
        guard let step = try IncomingTaskUpdate(input, current: current).step else {
            return try FHIRResponse.resource(try await referralResources("Task", [current], actor)[0])
        }
        guard case .done(let changed) = try await useCases.takeReferralStep.run(id, step, by: actor, expectedVersion: expected ?? current.version) else {
            preconditionFailure("no key, no replay")
        }
        return try FHIRResponse.resource(try await referralResources("Task", [changed], actor)[0])
    }

    /// The version an `If-Match: W/"3"` names.
    private static func expectedVersion(_ request: Request) throws -> Int? {
        guard let header = request.headers[.ifMatch] else { return nil }
        let digits = header.replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard let version = Int(digits), version > 0 else { throw FHIRInvalid(kind: .structure, path: "If-Match", key: "if_match") }
        return version
    }
}

extension HTTPField.Name {
    static let ifNoneExist = HTTPField.Name("If-None-Exist")!
}
