import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// Writes an import: every organisation and service of one file in one transaction, keyed by their HSDS ids, so a
/// second import of the same file changes nothing and a failure leaves nothing behind. The records come checked
/// (KoppelServer's import reads and validates the file); this compares them with what Koppel keeps and writes the
/// difference through the `directory_import` functions.
public struct DirectoryImportStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// What the import does (or, on a dry run, would do). `actor` is the hub-admin on the server; nil from the command
    /// line, which connects as the owner.
    public func run(
        organisations: [ImportedOrganisation], services: [ImportedService], dryRun: Bool, actingFor actor: Actor?, country: String = "NL"
    ) async throws -> ImportPlan {
        if let actor {
            return try await client.withTenantTransaction(organisation: actor.organisationID, user: actor.userID, logger: logger) { connection in
                try await Self.run(organisations, services, dryRun: dryRun, country: country, on: connection, logger: logger)
            }
        }
        return try await client.withClockedTransaction(logger: logger) { connection in
            try await Self.run(organisations, services, dryRun: dryRun, country: country, on: connection, logger: logger)
        }
    }

    private static func run(
        _ organisations: [ImportedOrganisation], _ services: [ImportedService], dryRun: Bool, country: String,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> ImportPlan {
        let keptOrganisations = try await existingOrganisations(organisations.map(\.hsdsID), on: connection, logger: logger)
        let keptServices = try await existingServices(services.map(\.hsdsID), on: connection, logger: logger)
        var entries: [ImportPlan.Entry] = []
        var koppelIDs: [UUID: UUID] = keptOrganisations.mapValues(\.id)
        for organisation in organisations {
            let change = ImportPlan.change(organisation, existing: keptOrganisations[organisation.hsdsID]?.record)
            entries.append(.init(kind: .organization, hsdsID: organisation.hsdsID.uuidString.lowercased(), name: organisation.name, change: change))
            guard !dryRun, change != .unchanged else { continue }
            koppelIDs[organisation.hsdsID] = try await connection.query(
                """
                SELECT directory_import.save_organisation(\(organisation.hsdsID)::uuid, \(Slug.make(organisation.name, organisation.hsdsID))::text,
                    \(organisation.name)::text, \(organisation.description)::text, \(organisation.website)::text, \(country)::text)
                """, logger: logger
            ).collect().first!.decode(UUID.self)
        }
        for service in services {
            let kept = keptServices[service.hsdsID]
            let change = ImportPlan.change(service, existing: kept?.record)
            entries.append(.init(kind: .service, hsdsID: service.hsdsID.uuidString.lowercased(), name: service.name, change: change))
            guard !dryRun, change != .unchanged, let operatorID = koppelIDs[service.organisationHSDSID] else { continue }
            let status = ImportedStatus.status(publisher: service.hsdsStatus, current: kept?.status)
            let areas = String(decoding: try JSONEncoder().encode(service.serviceAreas.map { ["name": $0.name, "extent": $0.extent.rawValue] }), as: UTF8.self)
            let id = try await connection.query(
                """
                SELECT directory_import.save_service(\(service.hsdsID)::uuid, \(Slug.make(service.name, service.hsdsID))::text,
                    \(service.name)::text, \(operatorID)::uuid, \(status.rawValue)::text, \(service.hsdsStatus)::text,
                    \(service.description)::text, \(service.eligibility)::text, \(service.applicationProcess)::text,
                    \(service.minimumAge)::integer, \(service.maximumAge)::integer, \(service.languages)::text[],
                    \(service.website)::text, \(areas)::jsonb)
                """, logger: logger
            ).collect().first!.decode(UUID.self)
            try await Outbox.programmeChanged(id, on: connection, logger: logger)
        }
        return ImportPlan(entries: entries)
    }

    private static func existingOrganisations(
        _ ids: [UUID], on connection: PostgresConnection, logger: Logger
    ) async throws -> [UUID: (id: UUID, record: ImportedOrganisation)] {
        var kept: [UUID: (id: UUID, record: ImportedOrganisation)] = [:]
        for row in try await connection.query(
            "SELECT id, hsds_id, name, coalesce(description, ''), website FROM organisations WHERE hsds_id = ANY(\(ids))", logger: logger
        ).collect() {
            let (id, hsdsID, name, description, website) = try row.decode((UUID, UUID, String, String, String?).self)
            kept[hsdsID] = (id, ImportedOrganisation(hsdsID: hsdsID, name: name, description: description, website: website))
        }
        return kept
    }

    private static func existingServices(
        _ ids: [UUID], on connection: PostgresConnection, logger: Logger
    ) async throws -> [UUID: (status: ProgrammeStatus, record: ImportedService)] {
        var kept: [UUID: (status: ProgrammeStatus, record: ImportedService)] = [:]
        for row in try await connection.query(
            """
            SELECT p.hsds_id, o.hsds_id, p.name, p.status, p.hsds_status, p.description_nl, p.eligibility_nl, p.application_process_nl,
                   p.minimum_age, p.maximum_age, p.languages, p.website,
                   coalesce((SELECT json_agg(json_build_object('name', a.name, 'extent', a.extent) ORDER BY a.position)
                             FROM programme_service_areas a WHERE a.programme_id = p.id), '[]')::text
            FROM programmes p JOIN organisations o ON o.id = p.operator_id
            WHERE p.hsds_id = ANY(\(ids))
            """, logger: logger
        ).collect() {
            let (hsdsID, organisation, name, status, hsdsStatus, description, eligibility, application, minimum, maximum, languages, website, areas) =
                try row.decode((UUID, UUID?, String, String, String, String, String?, String?, Int?, Int?, [String], String?, String).self)
            let record = ImportedService(
                hsdsID: hsdsID, organisationHSDSID: organisation ?? UUID(), name: name, hsdsStatus: hsdsStatus, description: description,
                eligibility: eligibility, applicationProcess: application, minimumAge: minimum, maximumAge: maximum,
                serviceAreas: try JSONDecoder().decode([ServiceArea].self, from: Data(areas.utf8)), languages: languages, website: website)
            kept[hsdsID] = (ProgrammeStatus(rawValue: status) ?? .closed, record)
        }
        return kept
    }
}
