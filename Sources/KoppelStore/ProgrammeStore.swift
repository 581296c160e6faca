import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// Why a programme change could not be made.
public enum ProgrammeChangeError: Error, Sendable, Equatable {
    case notFound
    /// Service areas that name no municipality, region, named area or country Koppel knows (as given).
    case unknownPlaces([String])
}

/// Changes to programmes' operational details, each written with its notification in one transaction.
public struct ProgrammeStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The ages a programme keeps now, to check a change against; nil when there is no such programme.
    public func ages(of id: UUID) async throws -> (minimum: Int?, maximum: Int?)? {
        try await client.query("SELECT minimum_age, maximum_age FROM programmes WHERE id = \(id)", logger: logger)
            .collect().first.map { try $0.decode((Int?, Int?).self) }
    }

    public func apply(_ change: ProgrammeChange, to id: UUID, by actor: Actor) async throws {
        try await client.withTenantTransaction(
            organisation: actor.organisationID, user: actor.userID, logger: logger
        ) { connection in
            try await Self.apply(change, to: id, on: connection, logger: logger)
        }
    }

    private static func apply(_ change: ProgrammeChange, to id: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        let updated = try await connection.query(
            """
            UPDATE programmes SET
                status = coalesce(\(change.status?.rawValue), status),
                places_total = coalesce(\(change.placesTotal), places_total),
                minimum_age = coalesce(\(change.minimumAge), minimum_age),
                maximum_age = coalesce(\(change.maximumAge), maximum_age),
                target_groups = coalesce(\(change.targetGroups?.map(\.rawValue))::text[], target_groups),
                languages = coalesce(\(change.languages)::text[], languages),
                typical_duration_months = coalesce(\(change.typicalDurationMonths), typical_duration_months),
                response_working_days = coalesce(\(change.responseDays), response_working_days),
                start_working_days = coalesce(\(change.startDays), start_working_days),
                review_working_days = coalesce(\(change.reviewDays), review_working_days),
                description_nl = coalesce(\(change.description[.dutch]), description_nl),
                description_en = coalesce(\(change.description[.english]), description_en),
                eligibility_nl = coalesce(\(change.eligibility[.dutch]), eligibility_nl),
                eligibility_en = coalesce(\(change.eligibility[.english]), eligibility_en),
                application_process_nl = coalesce(\(change.applicationProcess[.dutch]), application_process_nl),
                application_process_en = coalesce(\(change.applicationProcess[.english]), application_process_en),
                updated_at = koppel_now()
            WHERE id = \(id)
            RETURNING operator_id
            """, logger: logger
        ).collect().first?.decode(UUID.self)
        guard updated != nil else { throw ProgrammeChangeError.notFound }
        if let areas = change.serviceAreas {
            let unknown = try await connection.query(
                """
                SELECT a.name FROM unnest(\(areas.map(\.name))::text[], \(areas.map { PlaceName.folded($0.name) })::text[],
                                          \(areas.map(\.extent.rawValue))::text[]) AS a (name, folded, extent)
                WHERE NOT CASE a.extent
                    WHEN 'municipality' THEN EXISTS (SELECT FROM municipalities m WHERE m.code = upper(a.name) OR a.folded = ANY (m.names))
                    WHEN 'region' THEN EXISTS (SELECT FROM regions r WHERE r.kind <> 'country' AND fold_place_name(r.name) = a.folded)
                                    OR EXISTS (SELECT FROM areas n WHERE n.folded = a.folded)
                    ELSE EXISTS (SELECT FROM regions r WHERE r.kind = 'country' AND fold_place_name(r.name) = a.folded)
                END
                """, logger: logger
            ).collect().map { try $0.decode(String.self) }
            guard unknown.isEmpty else { throw ProgrammeChangeError.unknownPlaces(unknown) }
            try await connection.query("DELETE FROM programme_service_areas WHERE programme_id = \(id)", logger: logger)
            for (position, area) in areas.enumerated() {
                try await connection.query(
                    "INSERT INTO programme_service_areas (programme_id, position, name, extent) VALUES (\(id), \(position), \(area.name), \(area.extent.rawValue))",
                    logger: logger)
            }
        }
        try await Outbox.programmeChanged(id, on: connection, logger: logger)
    }
}
