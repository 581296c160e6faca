import Foundation
import KoppelCore
import Logging
import PostgresNIO
import Synchronization

/// Everything Koppel holds on one client (GDPR Art. 15).
public struct ClientExport: Sendable {
    public let client: ClientRecord
    public let identity: [IdentityField: String]
    public let consents: [Consent]
    public let referrals: [(referral: Referral, history: [ReferralEvent], messages: [VaultMessage])]
    public let auditTrail: [AuditEntry]
}

/// A client as their organisation's caseworkers see them without a reveal: the record, consents and referrals.
public struct ClientOverview: Sendable {
    public let client: ClientRecord
    public let consents: [Consent]
    public let referrals: [Referral]
    /// Today as PostgreSQL has it, for the consents' status.
    public let today: String
}

/// A referral's message, with the organisation that wrote it.
public struct ThreadMessage: Sendable {
    public let message: VaultMessage
    public let organisation: NamedID
}

/// The consent and privacy module: puts the app-side records (clients, consents, referrals) and the vault
/// together, asking `AccessPolicy` and `Disclosure` before any identifying data is written or shown. API
/// handlers, pages and the CLI all come through here.
public struct Privacy: Sendable {
    public let clients: ClientStore
    public let vault: VaultStore
    public let referrals: ReferralStore
    /// Counts duplicate checks per user, as sign-in attempts are counted: in PostgreSQL, before they run.
    public let lookups: SignInThrottleStore
    /// A user's duplicate checks: 30 an hour, then none for the rest of it.
    public static let lookupLimits = SignInThrottleStore.Limits(window: .seconds(3600), lockAfter: 30, lockFor: .seconds(3600))

    /// Counts reveals for monitoring (each is audited besides).
    public let measurements: Measurements

    public init(clients: ClientStore, vault: VaultStore, referrals: ReferralStore, lookups: SignInThrottleStore, measurements: Measurements = .none) {
        self.measurements = measurements
        self.clients = clients
        self.vault = vault
        self.referrals = referrals
        self.lookups = lookups
    }

    /// Registers a client of `actor`'s organisation with who they are; returns them by pseudonymous id.
    public func register(_ identity: ClientIdentity, by actor: Actor) async throws -> ClientRecord {
        let (id, sealIdentity) = try newClient(identity, by: actor)
        return try await clients.register(id, by: actor, whileOpen: sealIdentity)
    }

    /// Whether a client is known for sure not to be registered (false also when the database cannot say).
    private func isMissing(_ id: UUID, _ actor: Actor) async throws -> Bool {
        do {
            return try await clients.client(id, actingFor: actor) == nil
        } catch {
            return false
        }
    }

    /// A new client's id and the vault write that seals who they are, once the policy and the identity's rules allow.
    private func newClient(_ identity: ClientIdentity, by actor: Actor) throws -> (UUID, @Sendable () async throws -> Void) {
        try allow(actor, .registerClient(organisation: actor.organisationID))
        let identity = identity.cleaned
        let problems = identity.problems(complete: true)
        guard problems.isEmpty else { throw PrivacyError.invalid(problems) }
        let id = UUID()
        let audit = record(actor, id, .create, fields: Array(identity.values.keys))
        return (id, { [vault] in try await vault.store(identity, for: id, audit: audit) })
    }

    /// The web intake: a new client with who they are and their consent, and a referral for them, filed as one
    /// (`ReferralStore.createWithNewClient`): a refused referral leaves no client, consent or sealed identity behind,
    /// and a resent form (the same idempotency key) files nothing twice.
    public func intake(
        _ identity: ClientIdentity, consent: NewConsent, referral: NewReferral, by actor: Actor, idempotency: IdempotencyKey?,
        response: @escaping StoredResponse
    ) async throws -> Idempotent<Referral> {
        try allow(actor, .manageClient(organisation: actor.organisationID))
        let (id, sealIdentity) = try newClient(identity, by: actor)
        let sealed = Mutex(false)
        do {
            return try await referrals.createWithNewClient(id, consent: consent, referral, by: actor, idempotency: idempotency, response: response) {
                try await sealIdentity()
                sealed.withLock { $0 = true }
            }
        } catch {
            // The vault committed and then the filing did not (its commit failed): the identity would be left with no
            // client. Shredded, unless the client is there after all (a commit whose answer was lost).
            if sealed.withLock({ $0 }), try await isMissing(id, actor) {
                _ = try? await vault.erase(id, audit: record(actor, id, .erase, purpose: "intake not completed"))
            }
            throw error
        }
    }

    /// Whether someone with this name and date of birth already has an open referral to the programme that `actor`'s
    /// organisation may see. Answers yes or no, nothing more, and nothing of other organisations' referrals; each
    /// client it matches gets an audit entry, and a user may ask `lookupLimits` times an hour.
    public func possibleDuplicate(name: String, birthDate: String, programme: UUID, by actor: Actor) async throws -> Bool {
        try allow(actor, .registerClient(organisation: actor.organisationID))
        let attempt = try await lookups.attempt(SignInThrottleStore.lookupKey(user: actor.userID), Self.lookupLimits)
        guard attempt.allowed else {
            throw PrivacyError.tooManyLookups(retryAfterSeconds: Int(Self.lookupLimits.lockFor.components.seconds))
        }
        let matches = try await vault.clients(matchingName: name, birthDate: birthDate)
        let known = try await clients.withOpenReferral(matches, to: programme, actingFor: actor)
        try await vault.audit(known.map { record(actor, $0, .duplicateCheck, fields: [IdentityField.name, .birthDate]) })
        return !known.isEmpty
    }

    /// Changes some identity fields of a client of `actor`'s organisation (an empty value removes one).
    public func update(_ clientID: UUID, changes: [IdentityField: String], by actor: Actor) async throws {
        let record = try await ownClient(clientID, actor) { .manageClient(organisation: $0) }
        let cleaned = ClientIdentity(changes).cleaned
        let problems = cleaned.problems(complete: false)
        guard problems.isEmpty else { throw PrivacyError.invalid(problems) }
        if (changes[.name] != nil && cleaned.values[.name] == nil) || (changes[.birthDate] != nil && cleaned.values[.birthDate] == nil) {
            throw PrivacyError.invalid(["name and birth_date can be changed but not removed."])
        }
        let values = Dictionary(uniqueKeysWithValues: changes.keys.map { ($0, cleaned.values[$0]) })
        guard try await vault.update(values, for: record.id, audit: self.record(actor, record.id, .update, fields: Array(changes.keys))) else {
            throw PrivacyError.erased
        }
    }

    /// Shows the identity fields that `Disclosure` allows for `purpose`, through a referral of the client (the
    /// receiving programme) or as the organisation that registered them. Audited before it is read.
    public func reveal(
        _ clientID: UUID, purpose: ConsentPurpose, through referralID: UUID?, by actor: Actor
    ) async throws -> (grant: RevealGrant, values: [IdentityField: String]) {
        let route = try await route(to: clientID, through: referralID, actor)
        let (consents, today) = try await clients.consents(of: clientID, actingFor: actor)
        let grant = try granted(Disclosure.reveal(actor, through: route, purpose: purpose, consents: consents, on: today))
        let audit = record(actor, clientID, .reveal, purpose: purpose.rawValue, referral: referralID, fields: grant.fields)
        let values = try await vaultCall { try await vault.reveal(grant.fields, of: clientID, audit: audit) }
        measurements.revealed(purpose: purpose.rawValue)
        return (grant, values)
    }

    /// The consents of a client of `actor`'s organisation, and today as PostgreSQL has it.
    public func consents(of clientID: UUID, by actor: Actor) async throws -> (consents: [Consent], today: String) {
        _ = try await ownClient(clientID, actor) { .manageClient(organisation: $0) }
        return try await clients.consents(of: clientID, actingFor: actor)
    }

    /// A client of `actor`'s organisation with their consents and referrals; nothing identifying, so not audited.
    public func overview(_ clientID: UUID, by actor: Actor) async throws -> ClientOverview {
        let record = try await ownClient(clientID, actor) { .manageClient(organisation: $0) }
        let (consents, today) = try await clients.consents(of: clientID, actingFor: actor)
        let referrals = try await referrals.referrals(ofClient: clientID, actingFor: actor)
        return ClientOverview(client: record, consents: consents, referrals: referrals, today: today)
    }

    /// Records a consent for a client of `actor`'s organisation (row-level security finds only those).
    public func recordConsent(_ consent: NewConsent, for clientID: UUID, by actor: Actor) async throws -> Consent {
        try allow(actor, .manageClient(organisation: actor.organisationID))
        return try await clients.record(consent, for: clientID, by: actor)
    }

    /// Withdraws a consent at once; returns the referrals withdrawn with it.
    public func withdrawConsent(_ consentID: UUID, of clientID: UUID, by actor: Actor) async throws -> [UUID] {
        try allow(actor, .manageClient(organisation: actor.organisationID))
        return try await clients.withdraw(consentID, of: clientID, by: actor)
    }

    /// The thread of a referral, oldest first, for those `Disclosure` lets process it.
    public func messages(of referralID: UUID, by actor: Actor) async throws -> [ThreadMessage] {
        let referral = try await messagingAllowed(referralID, actor)
        let audit = record(actor, referral.clientID, .readMessages, referral: referral.id)
        let messages = try await vaultCall { try await vault.messages(referral: referral.id, client: referral.clientID, audit: audit) }
        let names = try await referrals.organisationNames(Set(messages.map(\.authorOrganisation)))
        return messages.map { ThreadMessage(message: $0, organisation: NamedID(id: $0.authorOrganisation, name: names[$0.authorOrganisation] ?? "")) }
    }

    public func post(_ text: String, on referralID: UUID, by actor: Actor) async throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...4000).contains(trimmed.count) else { throw PrivacyError.invalid(["text must hold 1 to 4000 characters."]) }
        let referral = try await messagingAllowed(referralID, actor)
        let audit = record(actor, referral.clientID, .postMessage, referral: referral.id)
        try await vaultCall {
            try await vault.post(
                trimmed, messageID: UUID(), referral: referral.id, client: referral.clientID, author: (actor.userID, actor.organisationID),
                audit: audit)
        }
        try await referrals.noteChanged(referral, by: actor)
    }

    /// Everything Koppel holds on a client of `actor`'s organisation, as one document. The export is audited.
    public func export(_ clientID: UUID, by actor: Actor) async throws -> ClientExport {
        let record = try await ownClient(clientID, actor) { .manageClient(organisation: $0) }
        var identity: [IdentityField: String] = [:]
        if record.erasedAt == nil {
            identity = try await vaultCall {
                try await vault.reveal(IdentityField.allCases, of: clientID, audit: self.record(actor, clientID, .export, fields: IdentityField.allCases))
            }
        }
        let (consents, _) = try await clients.consents(of: clientID, actingFor: actor)
        var referralParts: [(referral: Referral, history: [ReferralEvent], messages: [VaultMessage])] = []
        for referral in try await referrals.referrals(ofClient: clientID, actingFor: actor) {
            let history = try await referrals.history(of: referral.id, actingFor: actor)
            let messages =
                record.erasedAt == nil
                ? try await vaultCall {
                    try await vault.messages(
                        referral: referral.id, client: clientID, audit: self.record(actor, clientID, .export, referral: referral.id))
                } : []
            referralParts.append((referral, history, messages))
        }
        return ClientExport(
            client: record, identity: identity, consents: consents, referrals: referralParts, auditTrail: try await vault.auditTrail(of: clientID))
    }

    /// Erases a client's identifying data for good (crypto-shredding); referrals keep their non-identifying fields.
    public func erase(_ clientID: UUID, by actor: Actor) async throws {
        let record = try await ownClient(clientID, actor) { .eraseClient(organisation: $0) }
        try await vault.erase(clientID, audit: self.record(actor, clientID, .erase, purpose: "request"))
        try await clients.markErased(clientID, organisation: record.organisation)
    }

    /// Expires consents past their last day and erases clients past retention. Returns how many of each.
    public func runRetention() async throws -> (expiredConsents: Int, erasedClients: Int) {
        let expired = try await clients.expireConsents()
        var erased = 0
        for (clientID, organisation) in try await clients.clientsPastRetention() {
            let audit = AuditRecord(actorUser: nil, actorOrganisation: nil, client: clientID, action: .erase, purpose: "retention")
            if try await vault.erase(clientID, audit: audit) { erased += 1 }
            try await clients.markErased(clientID, organisation: organisation)
        }
        return (expired, erased)
    }

    // MARK: -

    private func allow(_ actor: Actor, _ action: Action) throws {
        if case .deny(let reason) = AccessPolicy.decide(actor, action) { throw PrivacyError.denied(reason) }
    }

    private func granted<T>(_ result: Result<T, DisclosureDenial>) throws -> T {
        switch result {
        case .success(let value): return value
        case .failure(let denial): throw PrivacyError.disclosure(denial)
        }
    }

    /// A client of `actor`'s organisation that the policy lets them act on; not found for anyone else's.
    private func ownClient(_ id: UUID, _ actor: Actor, _ action: (UUID) -> Action) async throws -> ClientRecord {
        guard let record = try await clients.client(id, actingFor: actor) else { throw PrivacyError.notFound }
        try allow(actor, action(record.organisation))
        return record
    }

    private func route(to clientID: UUID, through referralID: UUID?, _ actor: Actor) async throws -> ClientRoute {
        if let referralID {
            guard let referral = try await referrals.referral(referralID, actingFor: actor), referral.clientID == clientID else {
                throw PrivacyError.referralNotFound
            }
            return .referral(referral.scope, state: referral.state)
        }
        guard let record = try await clients.client(clientID, actingFor: actor) else { throw PrivacyError.notFound }
        return .registeringOrganisation(record.organisation)
    }

    private func messagingAllowed(_ referralID: UUID, _ actor: Actor) async throws -> Referral {
        guard let referral = try await referrals.referral(referralID, actingFor: actor) else { throw PrivacyError.notFound }
        let (consents, today) = try await clients.consents(of: referral.clientID, actingFor: actor)
        _ = try granted(Disclosure.messages(actor, through: .referral(referral.scope, state: referral.state), consents: consents, on: today))
        return referral
    }

    private func vaultCall<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch VaultError.noIdentity {
            throw PrivacyError.erased
        }
    }

    private func record(
        _ actor: Actor, _ client: UUID, _ action: AuditAction, purpose: String? = nil, referral: UUID? = nil, fields: [IdentityField] = []
    ) -> AuditRecord {
        AuditRecord(
            actorUser: actor.userID, actorOrganisation: actor.organisationID, client: client, action: action, purpose: purpose,
            referral: referral, fields: fields.map(\.rawValue).sorted())
    }
}
