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
        let catalogue = catalogues[language(request)]
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

    var fullBase: String { publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL }

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

    func notFound(_ type: String) -> Failure {
        Failure(.notFound, code: "fhir.not_found", messageKey: "fhir.error.not_found", detail: "There is no \(type) with that id.")
    }

    func language(_ request: Request) -> UILanguage {
        UILanguage.negotiate(parameter: nil, cookie: nil, acceptLanguage: request.headers[.acceptLanguage])
    }

    /// ServiceRequests or Tasks of referrals, with their partner identifiers and (Tasks) the reason of their last step.
    func referralResources(_ type: String, _ found: [Referral], _ actor: Actor) async throws -> [FHIRResource] {
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
}

extension HTTPField.Name {
    static let ifNoneExist = HTTPField.Name("If-None-Exist")!
}
