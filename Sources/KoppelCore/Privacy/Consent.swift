import Foundation

/// Why identifying data is used, as a consent names it (FHIR Consent provision.purpose).
public enum ConsentPurpose: String, CaseIterable, Sendable, Codable, Hashable {
    /// Processing the referral: filing it, deciding on it, the messages about it.
    case referral
    /// Sharing who the client is with the receiving programme.
    case shareIdentity = "share_identity"
    /// Contacting the client.
    case contact
}

public enum ConsentStatus: String, CaseIterable, Sendable, Codable {
    case active, withdrawn, expired
}

/// Who gave the consent.
public enum ConsentGrantor: String, CaseIterable, Sendable, Codable {
    case client
    case legalRepresentative = "legal_representative"
}

/// How the consent was obtained.
public enum ConsentEvidence: String, CaseIterable, Sendable, Codable {
    case verbal, written
    case signedDocument = "signed_document"
}

/// The ground in the GDPR for processing: Art. 6 for personal data, with Art. 9 for special categories
/// (health, ethnicity, sex life), which the situation of these clients nearly always involves.
public enum LegalBasis: String, CaseIterable, Sendable, Codable {
    /// Art. 6(1)(a) and 9(2)(a): explicit consent.
    case explicitConsent = "explicit_consent"
    /// Art. 6(1)(d) and 9(2)(c): vital interests of someone unable to consent.
    case vitalInterests = "vital_interests"
    /// Art. 6(1)(e) and 9(2)(g): a task in the public interest laid down in law.
    case publicInterest = "public_interest"
}

/// Whom a provision is about: an organisation (all it does), or a programme (its coordinators, at its operator).
public enum ConsentActor: Sendable, Hashable, Codable {
    case organisation(UUID)
    case programme(UUID)

    /// The organisation's or the programme's id.
    public var id: UUID {
        switch self {
        case .organisation(let id), .programme(let id): id
        }
    }

    /// "organisation" or "programme", as FHIR-style documents and the database write it.
    public var type: String {
        switch self {
        case .organisation: "organisation"
        case .programme: "programme"
        }
    }
}

/// One rule of a consent: permit or deny, to an actor, for purposes, over data classes, for a period.
public struct ConsentProvision: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case permit, deny }

    public var kind: Kind
    public var actor: ConsentActor
    public var purposes: Set<ConsentPurpose>
    public var dataClasses: Set<DataClass>
    /// Days written YYYY-MM-DD, both included; nil is open.
    public var from: String?
    public var until: String?

    public init(
        kind: Kind, actor: ConsentActor, purposes: Set<ConsentPurpose>, dataClasses: Set<DataClass>, from: String? = nil, until: String? = nil
    ) {
        self.kind = kind
        self.actor = actor
        self.purposes = purposes
        self.dataClasses = dataClasses
        self.from = from
        self.until = until
    }

    func covers(_ day: String) -> Bool {
        (from.map { $0 <= day } ?? true) && (until.map { day <= $0 } ?? true)
    }
}

/// A client's consent, as FHIR Consent has it.
public struct Consent: Sendable, Hashable {
    public var id: UUID
    public var clientID: UUID
    public var status: ConsentStatus
    public var grantor: ConsentGrantor
    public var recordedBy: UUID
    public var recordingOrganisation: UUID
    public var obtainedOn: String
    public var evidence: ConsentEvidence
    public var legalBasis: LegalBasis
    public var validFrom: String
    public var validUntil: String?
    public var provisions: [ConsentProvision]
    public var withdrawnAt: Date?

    public init(
        id: UUID, clientID: UUID, status: ConsentStatus, grantor: ConsentGrantor, recordedBy: UUID, recordingOrganisation: UUID,
        obtainedOn: String, evidence: ConsentEvidence, legalBasis: LegalBasis, validFrom: String, validUntil: String?,
        provisions: [ConsentProvision], withdrawnAt: Date? = nil
    ) {
        self.id = id
        self.clientID = clientID
        self.status = status
        self.grantor = grantor
        self.recordedBy = recordedBy
        self.recordingOrganisation = recordingOrganisation
        self.obtainedOn = obtainedOn
        self.evidence = evidence
        self.legalBasis = legalBasis
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.provisions = provisions
        self.withdrawnAt = withdrawnAt
    }

    /// Its status on `day`: an active consent past its last day has expired, whether or not that was written yet.
    public func status(on day: String) -> ConsentStatus {
        if status == .active, let validUntil, validUntil < day { return .expired }
        return status
    }

    public func isInForce(on day: String) -> Bool {
        status(on: day) == .active && validFrom <= day
    }
}

/// A consent about to be recorded, checked before it is.
public struct NewConsent: Sendable {
    public var grantor: ConsentGrantor
    public var obtainedOn: String
    public var evidence: ConsentEvidence
    public var legalBasis: LegalBasis
    public var validFrom: String
    public var validUntil: String?
    public var provisions: [ConsentProvision]

    public init(
        grantor: ConsentGrantor, obtainedOn: String, evidence: ConsentEvidence, legalBasis: LegalBasis, validFrom: String,
        validUntil: String?, provisions: [ConsentProvision]
    ) {
        self.grantor = grantor
        self.obtainedOn = obtainedOn
        self.evidence = evidence
        self.legalBasis = legalBasis
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.provisions = provisions
    }

    /// What is wrong, in words a person can act on; empty when it can be recorded.
    public func problems(today: String) -> [String] {
        var problems: [String] = []
        for (name, day) in [("obtained_on", obtainedOn), ("valid_from", validFrom), ("valid_until", validUntil ?? validFrom)]
        where !CalendarDay.isValid(day) {
            problems.append("\(name) must be a real day written YYYY-MM-DD.")
        }
        if !problems.isEmpty { return problems }
        if obtainedOn > today { problems.append("obtained_on cannot lie in the future.") }
        if let validUntil, validUntil < validFrom { problems.append("valid_until must not lie before valid_from.") }
        if provisions.isEmpty { problems.append("provisions must hold at least one permit or deny.") }
        if !provisions.contains(where: { $0.kind == .permit }) { problems.append("provisions permit nothing; add at least one permit.") }
        for (index, provision) in provisions.enumerated() {
            if provision.purposes.isEmpty { problems.append("provisions[\(index)] names no purpose.") }
            if provision.dataClasses.isEmpty { problems.append("provisions[\(index)] names no data class.") }
            for day in [provision.from, provision.until].compactMap({ $0 }) where !CalendarDay.isValid(day) {
                problems.append("provisions[\(index)] has a day that is not written YYYY-MM-DD.")
            }
        }
        return problems
    }
}
