import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// Reading and writing consents: one select list, one decoder, and the JSON form of provisions.
enum ConsentRows {
    static let columns = """
        c.id, c.client_id, c.status, c.grantor, c.recorded_by, c.organisation_id, c.obtained_on::text, c.evidence, c.legal_basis,
        c.valid_from::text, c.valid_until::text, c.provisions::text, c.ended_at
        """

    /// The consents of a client that row-level security shows the acting organisation, oldest first.
    static func of(client: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [Consent] {
        try await connection.rows(ConsentsOfClient(client: client), logger: logger).map(decode)
    }

    static func decode(_ row: PostgresRow) throws -> Consent {
        try consent(try row.decode((UUID, UUID, String, String, UUID, UUID, String, String, String, String, String?, String, Date?).self))
    }

    /// The consent in `columns`' order from the `offset`th column on (a consent joined to other facts).
    static func decode(_ row: PostgresRandomAccessRow, from offset: Int) throws -> Consent {
        func cell<T: PostgresDecodable>(_ index: Int, _: T.Type) throws -> T { try row[offset + index].decode(T.self) }
        return try consent((
            cell(0, UUID.self), cell(1, UUID.self), cell(2, String.self), cell(3, String.self), cell(4, UUID.self), cell(5, UUID.self),
            cell(6, String.self), cell(7, String.self), cell(8, String.self), cell(9, String.self), cell(10, String?.self), cell(11, String.self),
            cell(12, Date?.self)))
    }

    private static func consent(
        _ columns: (UUID, UUID, String, String, UUID, UUID, String, String, String, String, String?, String, Date?)
    ) throws -> Consent {
        let (id, client, status, grantor, recordedBy, organisation, obtained, evidence, basis, from, until, provisions, ended) = columns
        return Consent(
            id: id, clientID: client, status: ConsentStatus(rawValue: status) ?? .withdrawn, grantor: ConsentGrantor(rawValue: grantor) ?? .client,
            recordedBy: recordedBy, recordingOrganisation: organisation, obtainedOn: obtained,
            evidence: ConsentEvidence(rawValue: evidence) ?? .verbal, legalBasis: LegalBasis(rawValue: basis) ?? .explicitConsent,
            validFrom: from, validUntil: until, provisions: try StoredProvision.decode(provisions), withdrawnAt: ended)
    }

    /// Today as PostgreSQL has it, so every replica agrees on what is in force.
    static func today(on connection: PostgresConnection, logger: Logger) async throws -> String {
        try await connection.rows(DatabaseToday(), logger: logger).first!.decode(String.self)
    }
}

/// A provision as stored in `consents.provisions`: flat, with the actor as a type and an id.
struct StoredProvision: Codable {
    var kind: String
    var actor_type: String
    var actor_id: UUID
    var purposes: [String]
    var data_classes: [String]
    var from: String?
    var until: String?

    init(_ provision: ConsentProvision) {
        kind = provision.kind.rawValue
        (actor_type, actor_id) = (provision.actor.type, provision.actor.id)
        purposes = provision.purposes.map(\.rawValue).sorted()
        data_classes = provision.dataClasses.map(\.rawValue).sorted()
        from = provision.from
        until = provision.until
    }

    var provision: ConsentProvision? {
        guard let kind = ConsentProvision.Kind(rawValue: kind) else { return nil }
        let actor: ConsentActor
        switch actor_type {
        case "organisation": actor = .organisation(actor_id)
        case "programme": actor = .programme(actor_id)
        default: return nil
        }
        return ConsentProvision(
            kind: kind, actor: actor, purposes: Set(purposes.compactMap(ConsentPurpose.init(rawValue:))),
            dataClasses: Set(data_classes.compactMap(DataClass.init(rawValue:))), from: from, until: until)
    }

    static func encode(_ provisions: [ConsentProvision]) throws -> String {
        String(decoding: try JSONEncoder().encode(provisions.map(StoredProvision.init)), as: UTF8.self)
    }

    /// A provision Koppel cannot read is dropped: it then permits nothing. (The domain checked each when written.)
    static func decode(_ text: String) throws -> [ConsentProvision] {
        try JSONDecoder().decode([StoredProvision].self, from: Data(text.utf8)).compactMap(\.provision)
    }
}
