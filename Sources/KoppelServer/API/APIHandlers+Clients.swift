import Foundation
import HTTPTypes
import KoppelAPI
import KoppelCore
import KoppelStore
import KoppelUseCases
import OpenAPIRuntime

/// Clients and their consents: identifying data goes in and out only through `Privacy`, which asks the policy,
/// the referral's state and the consents.
extension APIHandlers {
    func registerClient(_ input: Operations.RegisterClient.Input) async throws -> Operations.RegisterClient.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the client as JSON.") }
        let actor = try signedIn { .registerClient(organisation: $0.organisationID) }
        let record = try await privacyOutcome { try await privacy.register(ClientIdentity(Self.identity(body)), by: actor) }
        return .created(.init(body: .json(Self.client(record))))
    }

    func checkDuplicateClient(_ input: Operations.CheckDuplicateClient.Input) async throws -> Operations.CheckDuplicateClient.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the check as JSON.") }
        let actor = try signedIn { .registerClient(organisation: $0.organisationID) }
        let birthDate = try day(body.birthDate, "birth_date")
        let programme = try uuid(body.programmeId, "programme_id")
        let possible = try await privacyOutcome {
            try await privacy.possibleDuplicate(name: body.name, birthDate: birthDate, programme: programme, by: actor)
        }
        return .ok(.init(body: .json(.init(possibleDuplicate: possible))))
    }

    func updateClient(_ input: Operations.UpdateClient.Input) async throws -> Operations.UpdateClient.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the changes as JSON.") }
        let (actor, id) = try clientRequest(input.path.clientId)
        let changes = Self.identity(body)
        guard !changes.isEmpty else { throw Problem(status: .unprocessableContent, detail: "Name at least one field to change.") }
        try await privacyOutcome { try await privacy.update(id, changes: changes, by: actor) }
        return .noContent(.init())
    }

    func eraseClient(_ input: Operations.EraseClient.Input) async throws -> Operations.EraseClient.Output {
        let (actor, id) = try clientRequest(input.path.clientId)
        try await privacyOutcome { try await privacy.erase(id, by: actor) }
        return .noContent(.init())
    }

    func revealClient(_ input: Operations.RevealClient.Input) async throws -> Operations.RevealClient.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the purpose as JSON.") }
        let (actor, id) = try clientRequest(input.path.clientId)
        let referral = try body.referralId.map { try uuid($0, "referral_id") }
        let purpose: ConsentPurpose = recode(body.purpose)
        let (_, values) = try await privacyOutcome { try await privacy.reveal(id, purpose: purpose, through: referral, by: actor) }
        let fields = Components.Schemas.RevealedIdentity.FieldsPayload(
            name: values[.name], birthDate: values[.birthDate], gender: values[.gender], nationality: values[.nationality],
            languages: values[.languages], phone: values[.phone], email: values[.email], address: values[.address],
            safetyNotes: values[.safetyNotes], notes: values[.notes])
        return .ok(.init(body: .json(.init(clientId: id.uuidString.lowercased(), purpose: body.purpose, fields: fields))))
    }

    func exportClient(_ input: Operations.ExportClient.Input) async throws -> Operations.ExportClient.Output {
        let (actor, id) = try clientRequest(input.path.clientId)
        let export = try await privacyOutcome { try await privacy.export(id, by: actor) }
        let container = try JSONDecoder().decode(Operations.ExportClient.Output.Ok.Body.JsonPayload.self, from: ClientExportDocument.json(export))
        return .ok(.init(body: .json(container)))
    }

    func listConsents(_ input: Operations.ListConsents.Input) async throws -> Operations.ListConsents.Output {
        let (actor, id) = try clientRequest(input.path.clientId)
        let (consents, today) = try await useCases.readConsents.run(of: id, by: actor)
        return .ok(.init(body: .json(consents.map { Self.consent($0, today: today) })))
    }

    func recordConsent(_ input: Operations.RecordConsent.Input) async throws -> Operations.RecordConsent.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the consent as JSON.") }
        let (actor, id) = try clientRequest(input.path.clientId)
        let provisions = try body.provisions.enumerated().map { index, provision in
            ConsentProvision(
                kind: provision.kind == .permit ? .permit : .deny,
                actor: provision.actorType == .programme
                    ? .programme(try uuid(provision.actorId, "provisions[\(index)].actor_id"))
                    : .organisation(try uuid(provision.actorId, "provisions[\(index)].actor_id")),
                purposes: Set(provision.purposes.map(recode)), dataClasses: Set(provision.dataClasses.map(recode)),
                from: provision.from, until: provision.until)
        }
        let today = WallClock.current.today()
        let new = NewConsent(
            grantor: recode(body.grantor), obtainedOn: body.obtainedOn, evidence: recode(body.evidence), legalBasis: recode(body.legalBasis),
            validFrom: body.validFrom ?? body.obtainedOn, validUntil: body.validUntil, provisions: provisions)
        let consent = try await useCases.recordConsent.run(new, for: id, by: actor)
        return .created(.init(body: .json(Self.consent(consent, today: today))))
    }

    func withdrawConsent(_ input: Operations.WithdrawConsent.Input) async throws -> Operations.WithdrawConsent.Output {
        let (actor, id) = try clientRequest(input.path.clientId)
        let consentID = try uuid(input.path.consentId, "consent id")
        let withdrawn = try await privacyOutcome { try await privacy.withdrawConsent(consentID, of: id, by: actor) }
        return .ok(.init(body: .json(.init(consentId: consentID.uuidString.lowercased(), withdrawnReferrals: withdrawn.map { $0.uuidString.lowercased() }))))
    }

    func listMessages(_ input: Operations.ListMessages.Input) async throws -> Operations.ListMessages.Output {
        let id = try uuid(input.path.referralId, "referral id")
        let actor = try signedIn(.listReferrals)
        let messages = try await privacyOutcome { try await privacy.messages(of: id, by: actor) }
        return .ok(.init(body: .json(messages.map { item in
            .init(
                id: item.message.id.uuidString.lowercased(),
                organisation: .init(id: item.organisation.id.uuidString.lowercased(), name: item.organisation.name),
                postedAt: item.message.postedAt, text: item.message.text, mine: item.organisation.id == actor.organisationID)
        })))
    }

    func postMessage(_ input: Operations.PostMessage.Input) async throws -> Operations.PostMessage.Output {
        guard case .json(let body) = input.body else { throw Problem(status: .unsupportedMediaType, detail: "Send the message as JSON.") }
        let id = try uuid(input.path.referralId, "referral id")
        let actor = try signedIn(.listReferrals)
        try await privacyOutcome { try await privacy.post(body.text, on: id, by: actor) }
        return .noContent(.init())
    }

    // MARK: -

    /// The caller and the client id of a request about one client. Whether the caller may act on that client
    /// is `Privacy`'s to decide, once it knows whose client it is.
    private func clientRequest(_ text: String) throws -> (Actor, UUID) {
        let id = try uuid(text, "client id")
        guard let actor = RequestIdentity.current.actor else { throw Problem.denied(.notSignedIn) }
        return (actor, id)
    }

    @discardableResult
    private func privacyOutcome<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw Failure.from(error) }
    }

    static func client(_ record: ClientRecord) -> Components.Schemas.Client {
        .init(id: record.id.uuidString.lowercased(), organisationId: record.organisation.uuidString.lowercased(), registeredAt: record.registeredAt, erasedAt: record.erasedAt)
    }

    static func consent(_ consent: Consent, today: String) -> Components.Schemas.Consent {
        let status = consent.status(on: today)
        return .init(
            id: consent.id.uuidString.lowercased(), clientId: consent.clientID.uuidString.lowercased(), status: recode(status),
            fhirStatus: status == .active ? "active" : "inactive", grantor: consent.grantor.rawValue,
            recordedBy: consent.recordedBy.uuidString.lowercased(), organisationId: consent.recordingOrganisation.uuidString.lowercased(),
            obtainedOn: consent.obtainedOn, evidence: consent.evidence.rawValue, legalBasis: consent.legalBasis.rawValue,
            validFrom: consent.validFrom, validUntil: consent.validUntil,
            provisions: consent.provisions.map { provision in
                .init(
                    kind: provision.kind == .permit ? .permit : .deny, actorType: .init(rawValue: provision.actor.type)!,
                    actorId: provision.actor.id.uuidString.lowercased(),
                    purposes: provision.purposes.sorted { $0.rawValue < $1.rawValue }.map(recode),
                    dataClasses: provision.dataClasses.sorted { $0.rawValue < $1.rawValue }.map(recode), from: provision.from, until: provision.until)
            }, endedAt: consent.withdrawnAt)
    }

    /// The identity fields present in a request body, by field.
    static func identity(_ body: some IdentityFieldsBody) -> [IdentityField: String] {
        var values: [IdentityField: String] = [:]
        for field in IdentityField.allCases {
            if let value = body.value(of: field) { values[field] = value }
        }
        return values
    }
}

/// The request bodies that carry identity fields.
protocol IdentityFieldsBody {
    func value(of field: IdentityField) -> String?
}

extension IdentityFieldsBody {
    static func pick(_ field: IdentityField, name: String?, birthDate: String?, gender: String?, nationality: String?, languages: String?,
                     phone: String?, email: String?, address: String?, safetyNotes: String?, notes: String?) -> String? {
        switch field {
        case .name: name
        case .birthDate: birthDate
        case .gender: gender
        case .nationality: nationality
        case .languages: languages
        case .phone: phone
        case .email: email
        case .address: address
        case .safetyNotes: safetyNotes
        case .notes: notes
        }
    }
}

extension Components.Schemas.ClientIdentity: IdentityFieldsBody {
    func value(of field: IdentityField) -> String? {
        Self.pick(field, name: name, birthDate: birthDate, gender: gender, nationality: nationality, languages: languages, phone: phone,
                  email: email, address: address, safetyNotes: safetyNotes, notes: notes)
    }
}

extension Components.Schemas.ClientIdentityChange: IdentityFieldsBody {
    func value(of field: IdentityField) -> String? {
        Self.pick(field, name: name, birthDate: birthDate, gender: gender, nationality: nationality, languages: languages, phone: phone,
                  email: email, address: address, safetyNotes: safetyNotes, notes: notes)
    }
}
