import Crypto
import Foundation
import KoppelCore
import PostgresNIO

/// What a caseworker files.
public struct NewReferral: Sendable {
    public var clientID: UUID
    public var programmeID: UUID
    public var targetGroup: TargetGroup
    public var ageBand: AgeBand
    public var municipality: String
    public var needs: [ReferralNeed]
    public var urgency: ReferralUrgency
    public var requestedStart: String?
    public var submit: Bool
    public var overrideReason: EligibilityOverrideReason?
    /// Why to submit without a consent covering the programme (a role with that permission only).
    public var consentOverrideReason: ConsentOverrideReason?

    public init(
        clientID: UUID, programmeID: UUID, targetGroup: TargetGroup, ageBand: AgeBand, municipality: String, needs: [ReferralNeed],
        urgency: ReferralUrgency, requestedStart: String?, submit: Bool, overrideReason: EligibilityOverrideReason?,
        consentOverrideReason: ConsentOverrideReason? = nil
    ) {
        self.consentOverrideReason = consentOverrideReason
        self.clientID = clientID
        self.programmeID = programmeID
        self.targetGroup = targetGroup
        self.ageBand = ageBand
        self.municipality = municipality
        self.needs = needs
        self.urgency = urgency
        self.requestedStart = requestedStart
        self.submit = submit
        self.overrideReason = overrideReason
    }
}

/// Why a referral could not be filed or stepped. The API and the pages turn each into a status and a message.
public enum ReferralError: Error, Sendable, Equatable {
    /// No such referral, or not one the caller may see: the same answer, so existence does not leak.
    case notFound
    case programmeNotFound
    /// No municipality goes by that name or code; the closest names, if any are close.
    case unknownMunicipality(String, suggestions: [String])
    /// Several municipalities go by that name (their names, with codes, to choose from).
    case ambiguousMunicipality(String, candidates: [String])
    /// The municipality ceased to exist on `endedOn` (merged into `successor`, by name); a new referral names the successor.
    case endedMunicipality(String, endedOn: String, successor: String?)
    case denied(DenialReason)
    case impossibleStep(ReferralStepError)
    /// Eligibility rules the referral does not meet, and no override reason was given.
    case ineligible([EligibilityRule])
    case noPlaceFree(placesTotal: Int)
    case forwardTargetMissing
    case forwardToSameProgramme
    /// The Idempotency-Key was used before with another request.
    case idempotencyKeyReused
    /// The client id is not one of a client the caller's organisation registered.
    case unknownClient
    /// The client's identifying data was erased: no new referral can be filed for them.
    case clientErased
    /// No consent in force covers the programme (named) for processing the referral.
    case noConsent(programme: String)
    /// The referral is no longer at the version the caller read (a FHIR `If-Match`); it is now at `current`.
    case versionMismatch(current: Int)
}

/// A request that may be retried: the same key and request give back the first answer.
public struct IdempotencyKey: Sendable {
    public var key: String
    public var operation: String
    /// A hash of the request's canonical form.
    public var requestHash: [UInt8]

    public init(key: String, operation: String, requestHash: [UInt8]) {
        self.key = key
        self.operation = operation
        self.requestHash = requestHash
    }

    /// A key for `request`, hashed in a canonical form: the same request in another key order or spacing is the same.
    public init<Request: Encodable>(key: String, operation: String, request: Request) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.init(key: key, operation: operation, requestHash: Array(SHA256.hash(data: try encoder.encode(request))))
    }
}

/// The outcome of an idempotent request: done now, or the stored answer of the first time.
public enum Idempotent<Value: Sendable>: Sendable {
    case done(Value)
    case replayed(status: Int, body: String)
}

/// How a response is kept for replay: its status and body.
public typealias StoredResponse = @Sendable (Referral) throws -> (status: Int, body: String)

/// Filters of a referral list.
public struct ReferralFilter: Sendable {
    public var state: ReferralState?
    public var programmeID: UUID?
    public var referringOrganisationID: UUID?
    /// Days, `YYYY-MM-DD`, inclusive.
    public var createdFrom: String?
    public var createdTo: String?
    public var limit: Int
    /// The last referral of the previous page.
    public var after: ReferralCursor?
    /// Any of these states (with `state`, both must hold); empty: any.
    public var states: Set<ReferralState> = []
    /// Soonest due first (those with no deadline last), instead of newest first; not paged.
    public var byDeadline = false
    /// One client's referrals only.
    public var clientID: UUID?
    /// Referrals to programmes this organisation operates only.
    public var operatorID: UUID?
    /// Only referrals changed at or after this moment.
    public var changedSince: Date?

    public init(
        state: ReferralState? = nil, programmeID: UUID? = nil, referringOrganisationID: UUID? = nil, createdFrom: String? = nil,
        createdTo: String? = nil, limit: Int = 25, after: ReferralCursor? = nil
    ) {
        self.state = state
        self.programmeID = programmeID
        self.referringOrganisationID = referringOrganisationID
        self.createdFrom = createdFrom
        self.createdTo = createdTo
        self.limit = limit
        self.after = after
    }
}

/// Where a page ends: lists run newest first by creation time, then id. Opaque to clients.
public struct ReferralCursor: Sendable, Equatable {
    public var createdAt: Date
    public var id: UUID

    public init(createdAt: Date, id: UUID) {
        self.createdAt = createdAt
        self.id = id
    }

    public init?(token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "|")
        guard parts.count == 2, let micros = Int64(parts[0]), Self.microsecondsGivenOut.contains(micros),
            let id = UUID(uuidString: String(parts[1]))
        else { return nil }
        self.init(createdAt: Date(timeIntervalSince1970: Double(micros) / 1_000_000), id: id)
    }

    /// The times a cursor this API gave out can hold: from 1970 to the end of the year 9999. A cursor is the client's
    /// to send back, so anything else is refused here; a time out of the driver's range would otherwise trap in it.
    static let microsecondsGivenOut: ClosedRange<Int64> = 0...253_402_300_799_999_999

    public var token: String {
        let micros = Int64((createdAt.timeIntervalSince1970 * 1_000_000).rounded())
        return Data("\(micros)|\(id.uuidString.lowercased())".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// A programme's places and waiting list.
public struct ProgrammePlaces: Sendable, Hashable {
    public var programmeID: UUID
    public var placesTotal: Int?
    public var placesInUse: Int
    public var waitlisted: Int

    public var placesFree: Int? { placesTotal.map { max(0, $0 - placesInUse) } }
}

/// One referral on a programme's waiting list.
public struct WaitingListEntry: Sendable, Hashable {
    public var position: Int
    public var referralID: UUID
    public var clientID: UUID
    public var referringOrganisation: NamedID
    public var urgency: ReferralUrgency
    public var waitlistedAt: Date
}

/// The municipality a referral's input names, as `SubmissionFactsAs` found it: how many go by that name or code, how
/// many of those exist today, and when the one found ended and into which (by name).
struct MunicipalityMatch: Sendable {
    let municipality: Municipality
    let matching: Int
    let existing: Int
    let endedOn: String?
    let successor: String?
}
