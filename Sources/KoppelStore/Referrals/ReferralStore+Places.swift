import Foundation
import KoppelCore
import Logging
import PostgresNIO

extension ReferralStore {
    /// A programme's places and the length of its waiting list, counted over every referrer's referrals by a
    /// function that answers with counts only. Nil for a programme not in the directory.
    public func places(of programme: UUID, actingFor actor: Actor) async throws -> ProgrammePlaces? {
        try await places(only: programme, actingFor: actor)[programme]
    }

    /// Every listed programme's places, counted in one go (for a page that shows them all).
    public func places(actingFor actor: Actor) async throws -> [UUID: ProgrammePlaces] {
        try await places(only: nil, actingFor: actor)
    }

    private func places(only programme: UUID?, actingFor actor: Actor) async throws -> [UUID: ProgrammePlaces] {
        try await transaction(actingFor: actor) { connection in
            var places: [UUID: ProgrammePlaces] = [:]
            for row in try await connection.query(
                """
                SELECT c.programme_id, c.places_total, c.places_in_use, c.waitlisted
                FROM counts.programme_places() c JOIN programmes p ON p.id = c.programme_id
                WHERE p.status <> 'closed' AND (\(programme)::uuid IS NULL OR c.programme_id = \(programme))
                """, logger: logger
            ).collect() {
                let (id, total, inUse, waitlisted) = try row.decode((UUID, Int?, Int, Int).self)
                places[id] = ProgrammePlaces(programmeID: id, placesTotal: total, placesInUse: inUse, waitlisted: waitlisted)
            }
            return places
        }
    }

    /// Who waits for a place, next first: longest waiting first, since the waiting list keeps order of arrival.
    public func waitingList(of programme: UUID, actingFor actor: Actor) async throws -> [WaitingListEntry] {
        try await transaction(actingFor: actor) { connection in
            try await connection.query(
                """
                SELECT row_number() OVER (ORDER BY r.state_changed_at, r.id)::integer, r.id, r.client_id, o.id, o.name, r.urgency,
                       r.state_changed_at
                FROM referrals r JOIN organisations o ON o.id = r.referring_organisation_id
                WHERE r.programme_id = \(programme) AND r.state = 'waitlisted'
                ORDER BY r.state_changed_at, r.id
                """, logger: logger
            ).collect().map { row in
                let (position, id, client, organisation, name, urgency, since) =
                    try row.decode((Int, UUID, UUID, UUID, String, String, Date).self)
                return WaitingListEntry(
                    position: position, referralID: id, clientID: client, referringOrganisation: NamedID(id: organisation, name: name),
                    urgency: ReferralUrgency(rawValue: urgency) ?? .routine, waitlistedAt: since)
            }
        }
    }

    /// The municipalities a referral can name today, by name, with their other names (for the form's list).
    public func municipalities() async throws -> [MunicipalityChoice] {
        try await client.query(
            """
            SELECT m.code, m.name, m.country, coalesce(array_agg(n.name ORDER BY n.name) FILTER (WHERE n.name <> m.name), '{}')
            FROM municipalities m LEFT JOIN municipality_names n ON n.municipality = m.code
            WHERE (m.valid_from IS NULL OR m.valid_from <= koppel_today()) AND (m.ended_on IS NULL OR m.ended_on > koppel_today())
            GROUP BY m.code ORDER BY m.name, m.code
            """, logger: logger
        ).collect().map { row in
            let (code, name, country, others) = try row.decode((String, String, String, [String]).self)
            return MunicipalityChoice(code: code, name: name, country: country, otherNames: others)
        }
    }
}

/// A municipality as a form offers it.
public struct MunicipalityChoice: Sendable, Hashable {
    public let code: String
    public let name: String
    public let country: String
    public let otherNames: [String]
}
