import Foundation
import HTTPTypes
import KoppelAPI
import KoppelCore
import KoppelStore
import KoppelUseCases

/// Referrals: filed by caseworkers, decided by coordinators, followed by both.
extension APIHandlers {
    func listReferrals(_ input: Operations.ListReferrals.Input) async throws -> Operations.ListReferrals.Output {
        let actor = try signedIn()
        let query = input.query
        let limit = query.limit ?? 25
        guard (1...100).contains(limit) else { throw Problem(status: .badRequest, detail: "limit must be from 1 to 100.") }
        var filter = ReferralFilter(
            state: query.state.map(recode), programmeID: try query.programmeId.map { try uuid($0, "programme_id") },
            referringOrganisationID: try query.organisationId.map { try uuid($0, "organisation_id") },
            createdFrom: try query.createdFrom.map { try day($0, "created_from") }, createdTo: try query.createdTo.map { try day($0, "created_to") },
            limit: limit + 1)
        if let cursor = query.cursor {
            guard let after = ReferralCursor(token: cursor) else {
                // Of the right form (the contract checks that), but no position this API gave out.
                throw Problem(status: .unprocessableContent, detail: "The cursor is not one this API gave out; start again without it.")
            }
            filter.after = after
        }
        let found = try await useCases.readReferrals.list(filter, by: actor)
        let page = Array(found.prefix(limit))
        let next = found.count > limit ? page.last.map { ReferralCursor(createdAt: $0.createdAt, id: $0.id).token } : nil
        return .ok(.init(body: .json(.init(items: page.map { Self.referral($0, for: actor) }, nextCursor: next))))
    }

    func createReferral(_ input: Operations.CreateReferral.Input) async throws -> Operations.CreateReferral.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the referral as JSON.") }
        let new = NewReferral(
            clientID: try uuid(body.clientId, "client_id"), programmeID: try uuid(body.programmeId, "programme_id"),
            targetGroup: recode(body.targetGroup), ageBand: recode(body.ageBand), municipality: body.municipality,
            needs: body.needs.map(recode), urgency: recode(body.urgency), requestedStart: try body.requestedStart.map { try day($0, "requested_start") },
            submit: body.state != .draft, overrideReason: body.overrideReason.map(recode),
            consentOverrideReason: body.consentOverrideReason.map(recode))
        let key = try input.headers.idempotencyKey.map { try IdempotencyKey(key: idempotencyKey($0), operation: "create-referral", request: body) }
        // An API token this route's use case checks in its first statement (`TokenCheckedByUseCase`).
        if case .presentedToken(let token) = RequestIdentity.current {
            guard let (actor, outcome) = try await useCases.fileReferral.run(
                new, presenting: token, idempotency: key, response: { Self.stored(status: 201, for: $0) })
            else { throw Problem.badCredentials }
            return .created(.init(body: .json(try Self.representation(outcome, for: actor))))
        }
        let actor = try signedIn()
        let outcome = try await useCases.fileReferral.run(new, by: actor, idempotency: key, response: Self.stored(status: 201, for: actor))
        return .created(.init(body: .json(try Self.representation(outcome, for: actor))))
    }

    func getReferral(_ input: Operations.GetReferral.Input) async throws -> Operations.GetReferral.Output {
        let (actor, referral) = try await visibleReferral(input.path.referralId)
        return .ok(.init(body: .json(Self.referral(referral, for: actor))))
    }

    func transitionReferral(_ input: Operations.TransitionReferral.Input) async throws -> Operations.TransitionReferral.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the step as JSON.") }
        let id = try uuid(input.path.referralId, "referral id")
        let request = ReferralStepRequest(
            action: recode(body.action), reason: body.reason.map(recode),
            targetProgrammeID: try body.targetProgrammeId.map { try uuid($0, "target_programme_id") },
            overrideReason: body.overrideReason.map(recode), consentOverrideReason: body.consentOverrideReason.map(recode))
        let key = try input.headers.idempotencyKey.map {
            try IdempotencyKey(key: idempotencyKey($0), operation: "step-referral \(id.uuidString)", request: body)
        }
        // An API token this route's use case checks in its first statement (`TokenCheckedByUseCase`).
        if case .presentedToken(let token) = RequestIdentity.current {
            guard let (actor, outcome) = try await useCases.takeReferralStep.run(
                id, request, presenting: token, idempotency: key, response: { Self.stored(status: 200, for: $0) })
            else { throw Problem.badCredentials }
            return .ok(.init(body: .json(try Self.representation(outcome, for: actor))))
        }
        let actor = try signedIn()
        let outcome = try await useCases.takeReferralStep.run(id, request, by: actor, idempotency: key, response: Self.stored(status: 200, for: actor))
        return .ok(.init(body: .json(try Self.representation(outcome, for: actor))))
    }

    func getReferralHistory(_ input: Operations.GetReferralHistory.Input) async throws -> Operations.GetReferralHistory.Output {
        let (actor, referral) = try await visibleReferral(input.path.referralId)
        let events = try await referrals.history(of: referral.id, actingFor: actor)
        return .ok(.init(body: .json(events.map { event in
            .init(
                occurredAt: event.occurredAt, action: .init(rawValue: event.action) ?? .create, fromState: event.fromState.map(recode),
                toState: recode(event.toState), reason: event.reason.map(recode),
                organisation: .init(id: event.organisation.id.uuidString.lowercased(), name: event.organisation.name),
                userName: event.userName, relatedReferralId: event.relatedReferralID?.uuidString.lowercased())
        })))
    }

    func getProgrammeCapacity(_ input: Operations.GetProgrammeCapacity.Input) async throws -> Operations.GetProgrammeCapacity.Output {
        let actor = try signedIn(.viewCapacity)
        let programme = try uuid(input.path.id, "programme id")
        guard let places = try await referrals.places(of: programme, actingFor: actor) else { throw Self.noSuchProgramme(programme) }
        return .ok(.init(body: .json(.init(
            programmeId: programme.uuidString.lowercased(), placesTotal: places.placesTotal, placesInUse: places.placesInUse,
            placesFree: places.placesFree, waitlisted: places.waitlisted))))
    }

    func getProgrammeWaitingList(_ input: Operations.GetProgrammeWaitingList.Input) async throws -> Operations.GetProgrammeWaitingList.Output {
        let programme = try uuid(input.path.id, "programme id")
        let actor = try signedIn(.viewWaitingList(programme: programme))
        return .ok(.init(body: .json(try await referrals.waitingList(of: programme, actingFor: actor).map {
            .init(
                position: $0.position, referralId: $0.referralID.uuidString.lowercased(), clientId: $0.clientID.uuidString.lowercased(),
                referringOrganisation: .init(id: $0.referringOrganisation.id.uuidString.lowercased(), name: $0.referringOrganisation.name),
                urgency: recode($0.urgency), waitlistedAt: $0.waitlistedAt)
        })))
    }

    // MARK: - Helpers

    /// The actor of a request that needs someone signed in; what they may do is the use case's to decide.
    func signedIn() throws -> Actor {
        guard let actor = RequestIdentity.current.actor else { throw DenialReason.notSignedIn.failure }
        return actor
    }

    /// The actor, when the policy allows `action`; a referral action always needs someone signed in.
    func signedIn(_ action: Action) throws -> Actor {
        try signedIn { _ in action }
    }

    /// The actor, when the policy allows what `action` makes of them (their own organisation, say).
    func signedIn(_ action: (Actor) -> Action) throws -> Actor {
        guard let actor = RequestIdentity.current.actor else { throw Problem.denied(.notSignedIn) }
        try authorize(action(actor))
        return actor
    }

    /// A referral the caller may see, or 404: a referral one may not see is answered as one that does not exist.
    private func visibleReferral(_ text: String) async throws -> (Actor, Referral) {
        let id = try uuid(text, "referral id")
        // An API token this route's use case checks in the statement that reads (`TokenCheckedByUseCase`).
        if case .presentedToken(let token) = RequestIdentity.current {
            guard let read = try await useCases.readReferrals.one(id, presenting: token) else { throw Problem.badCredentials }
            return read
        }
        let actor = try signedIn()
        return (actor, try await useCases.readReferrals.one(id, by: actor))
    }

    private func idempotencyKey(_ key: String) throws -> String {
        guard (1...200).contains(key.count) else { throw Problem(status: .badRequest, detail: "Idempotency-Key must have 1 to 200 characters.") }
        return key
    }

    func day(_ text: String, _ name: String) throws -> String {
        guard CalendarDay.isValid(text) else {
            throw Problem(status: .badRequest, detail: "\(name) must be a day written as YYYY-MM-DD, such as 2026-03-01.")
        }
        return text
    }

    static func noSuchProgramme(_ id: UUID) -> Problem {
        Problem(status: .notFound, detail: "No programme in the directory has id \(id.uuidString.lowercased()); see /api/v1/programmes.")
    }

    /// How a first answer is kept for an idempotency key: the JSON the API sends.
    private static func stored(status: Int, for actor: Actor) -> StoredResponse {
        { referral in (status, String(decoding: try JSONEncoder.api.encode(Self.referral(referral, for: actor)), as: UTF8.self)) }
    }

    private static func representation(_ outcome: Idempotent<Referral>, for actor: Actor) throws -> Components.Schemas.Referral {
        switch outcome {
        case .done(let done): return referral(done, for: actor)
        case .replayed(_, let body): return try JSONDecoder.api.decode(Components.Schemas.Referral.self, from: Data(body.utf8))
        }
    }

    static func referral(_ referral: Referral, for actor: Actor) -> Components.Schemas.Referral {
        .init(
            id: referral.id.uuidString.lowercased(), clientId: referral.clientID.uuidString.lowercased(), state: recode(referral.state),
            fhirTaskStatus: referral.state.fhirTaskStatus,
            programme: .init(id: referral.programme.id.uuidString.lowercased(), name: referral.programme.name),
            referringOrganisation: .init(id: referral.referringOrganisation.id.uuidString.lowercased(), name: referral.referringOrganisation.name),
            targetGroup: recode(referral.targetGroup), ageBand: recode(referral.ageBand), municipality: referral.municipality.name,
            municipalityCode: referral.municipality.code, needs: referral.needs.map(recode), urgency: recode(referral.urgency), requestedStart: referral.requestedStart,
            overriddenRules: referral.overriddenRules.map(recode), overrideReason: referral.overrideReason.map(recode),
            consentId: referral.consentID?.uuidString.lowercased(), consentOverrideReason: referral.consentOverrideReason.map(recode),
            forwardedFrom: referral.forwardedFrom?.uuidString.lowercased(), waitlistPosition: referral.waitlistPosition,
            deadline: referral.deadline.map { deadline in
                .init(
                    kind: recode(deadline.kind), dueOn: deadline.due.description, escalateOn: deadline.escalation.description,
                    status: recode(deadline.status(on: Day.today())))
            },
            createdAt: referral.createdAt, submittedAt: referral.submittedAt, stateChangedAt: referral.stateChangedAt,
            version: referral.version, allowedActions: referral.actions(for: actor).map(recode))
    }
}

/// The API's coded values and the domain's share their raw values; this carries one into the other.
func recode<From: RawRepresentable, To: RawRepresentable>(_ value: From) -> To where From.RawValue == String, To.RawValue == String {
    guard let converted = To(rawValue: value.rawValue) else { preconditionFailure("\(To.self) has no \(value.rawValue)") }
    return converted
}

extension JSONEncoder {
    /// Dates as the API writes them: ISO 8601.
    static var api: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    static var api: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
