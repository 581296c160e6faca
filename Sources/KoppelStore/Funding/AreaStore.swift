import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// A named area as it is stored, with the names of its members (code → name), for lists and forms.
public struct AreaRecord: Sendable, Hashable {
    public var area: NamedArea
    public var memberNames: [String: String]

    public func name(of member: NamedArea.Member) -> String {
        switch member {
        case .municipality(let code), .region(let code): memberNames[code] ?? code
        }
    }
}

/// What a hub-admin gives for an area: checked by the use case, its members' existence by the store.
public struct AreaDraft: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var members: [NamedArea.Member]

    public init(name: String, description: String?, members: [NamedArea.Member]) {
        self.name = name
        self.description = description
        self.members = members
    }
}

/// Named areas in PostgreSQL. Every change to an area's name or members recomputes, in the same transaction, which
/// areas each municipality lies in (`refresh_municipality_places`), so eligibility and statistics follow at once.
public struct AreaStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func areas() async throws -> [AreaRecord] {
        let rows = try await client.query("SELECT id, name, description, version FROM areas ORDER BY name, id", logger: logger).collect()
        let members = try await self.members(of: nil)
        return try rows.map { row in
            let (id, name, description, version) = try row.decode((UUID, String, String?, Int).self)
            return Self.record(id: id, name: name, description: description, version: version, members: members[id] ?? [])
        }
    }

    public func area(id: UUID) async throws -> AreaRecord? {
        guard let row = try await client.query("SELECT name, description, version FROM areas WHERE id = \(id)", logger: logger).collect().first
        else { return nil }
        let (name, description, version) = try row.decode((String, String?, Int).self)
        return Self.record(id: id, name: name, description: description, version: version, members: try await members(of: id)[id] ?? [])
    }

    /// The municipalities an area covers today (its own, and those of its regions), by name.
    public func municipalities(of area: UUID) async throws -> [(code: String, name: String)] {
        try await client.query(
            "SELECT m.code, m.name FROM area_municipalities(\(area)) a JOIN municipalities m ON m.code = a.code ORDER BY m.name, m.code",
            logger: logger
        ).collect().map { try $0.decode((String, String).self) }.map { (code: $0.0, name: $0.1) }
    }

    public func create(_ draft: AreaDraft) async throws -> UUID {
        let id = UUID()
        try await client.withClockedTransaction(logger: logger) { connection in
            try await Self.checkName(draft.name, except: nil, on: connection, logger: logger)
            try await Self.checkMembers(draft.members, on: connection, logger: logger)
            try await Self.unique(draft.name) {
                try await connection.query(
                    """
                    INSERT INTO areas (id, name, folded, description)
                    VALUES (\(id), \(draft.name), \(PlaceName.folded(draft.name)), \(draft.description))
                    """, logger: logger)
            }
            try await Self.write(draft.members, of: id, on: connection, logger: logger)
        }
        return id
    }

    /// Replaces an area's name, description and members, if it is still at `expectedVersion`.
    public func update(_ id: UUID, _ draft: AreaDraft, expectedVersion: Int) async throws {
        try await client.withClockedTransaction(logger: logger) { connection in
            try await Self.lock(id, expectedVersion: expectedVersion, on: connection, logger: logger)
            try await Self.checkName(draft.name, except: id, on: connection, logger: logger)
            // Service areas name an area: a new name would silently take it out of them.
            let naming = try await connection.query(
                """
                SELECT ARRAY(SELECT DISTINCT p.name FROM programme_service_areas s JOIN programmes p ON p.id = s.programme_id
                             WHERE fold_place_name(s.name) = a.folded ORDER BY p.name)
                FROM areas a WHERE a.id = \(id) AND a.folded <> \(PlaceName.folded(draft.name))
                """, logger: logger
            ).collect().first?.decode([String].self) ?? []
            guard naming.isEmpty else { throw FundingError.areaNamedByProgrammes(naming) }
            try await Self.checkMembers(draft.members, on: connection, logger: logger)
            try await Self.unique(draft.name) {
                try await connection.query(
                    """
                    UPDATE areas SET name = \(draft.name), folded = \(PlaceName.folded(draft.name)), description = \(draft.description),
                        updated_at = koppel_now(), version = version + 1
                    WHERE id = \(id)
                    """, logger: logger)
            }
            try await connection.query("DELETE FROM area_members WHERE area_id = \(id)", logger: logger)
            try await Self.write(draft.members, of: id, on: connection, logger: logger)
        }
    }

    /// Removes an area no agreement and no programme's service area uses.
    public func delete(_ id: UUID, expectedVersion: Int?) async throws {
        try await client.withClockedTransaction(logger: logger) { connection in
            try await Self.lock(id, expectedVersion: expectedVersion, on: connection, logger: logger)
            let (agreements, programmes) = try await connection.query(
                """
                SELECT (SELECT count(*) FROM funding_agreements WHERE area_id = a.id),
                       ARRAY(SELECT DISTINCT p.name FROM programme_service_areas s JOIN programmes p ON p.id = s.programme_id
                             WHERE fold_place_name(s.name) = a.folded ORDER BY p.name)
                FROM areas a WHERE a.id = \(id)
                """, logger: logger
            ).collect().first!.decode((Int, [String]).self)
            guard agreements == 0 && programmes.isEmpty else { throw FundingError.areaInUse(agreements: agreements, programmes: programmes) }
            try await connection.query("DELETE FROM areas WHERE id = \(id)", logger: logger)
            try await connection.query("SELECT directory_import.refresh_municipality_places()", logger: logger)
        }
    }

    /// Locks the area's row; its version, which must be `expectedVersion` when one is given.
    @discardableResult
    static func lock(_ id: UUID, expectedVersion: Int?, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        guard let version = try await connection.query("SELECT version FROM areas WHERE id = \(id) FOR UPDATE", logger: logger)
            .collect().first?.decode(Int.self)
        else { throw FundingError.areaNotFound }
        if let expectedVersion, expectedVersion != version { throw FundingError.versionMismatch(current: version) }
        return version
    }

    private static func checkName(_ name: String, except id: UUID?, on connection: PostgresConnection, logger: Logger) async throws {
        let taken = try await connection.query(
            "SELECT name FROM areas WHERE folded = \(PlaceName.folded(name)) AND id IS DISTINCT FROM \(id)", logger: logger
        ).collect().first?.decode(String.self)
        if let taken { throw FundingError.areaNameTaken(taken) }
    }

    /// A name taken by a concurrent transaction after the check above is the same refusal.
    private static func unique(_ name: String, _ body: () async throws -> Void) async throws {
        do { try await body() } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw FundingError.areaNameTaken(name)
        }
    }

    /// Every member must name a municipality or region Koppel knows; the error lists all that do not.
    private static func checkMembers(_ members: [NamedArea.Member], on connection: PostgresConnection, logger: Logger) async throws {
        let municipalities = members.compactMap { if case .municipality(let code) = $0 { code } else { nil } }
        let regions = members.compactMap { if case .region(let code) = $0 { code } else { nil } }
        let missing = try await connection.query(
            """
            SELECT c FROM unnest(\(municipalities)::text[]) c WHERE NOT EXISTS (SELECT FROM municipalities m WHERE m.code = c)
            UNION ALL
            SELECT c FROM unnest(\(regions)::text[]) c WHERE NOT EXISTS (SELECT FROM regions r WHERE r.code = c)
            """, logger: logger
        ).collect().map { try $0.decode(String.self) }
        guard missing.isEmpty else { throw FundingError.unknownPlaces(missing.map { UnknownPlace(line: nil, text: $0) }) }
    }

    private static func write(_ members: [NamedArea.Member], of id: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        let municipalities = members.compactMap { if case .municipality(let code) = $0 { code } else { nil } }
        let regions = members.compactMap { if case .region(let code) = $0 { code } else { nil } }
        try await connection.query(
            """
            INSERT INTO area_members (area_id, municipality, region)
            SELECT DISTINCT \(id), c, NULL::text FROM unnest(\(municipalities)::text[]) c
            UNION SELECT \(id), NULL::text, c FROM unnest(\(regions)::text[]) c
            """, logger: logger)
        try await connection.query("SELECT directory_import.refresh_municipality_places()", logger: logger)
    }

    private func members(of area: UUID?) async throws -> [UUID: [(NamedArea.Member, String)]] {
        let rows = try await client.query(
            """
            SELECT am.area_id, am.municipality, am.region, coalesce(m.name, r.name)
            FROM area_members am LEFT JOIN municipalities m ON m.code = am.municipality LEFT JOIN regions r ON r.code = am.region
            WHERE \(area)::uuid IS NULL OR am.area_id = \(area)
            ORDER BY 4, 2, 3
            """, logger: logger
        ).collect()
        var members: [UUID: [(NamedArea.Member, String)]] = [:]
        for row in rows {
            let (id, municipality, region, name) = try row.decode((UUID, String?, String?, String).self)
            let member: NamedArea.Member = municipality.map { .municipality($0) } ?? .region(region ?? "")
            members[id, default: []].append((member, name))
        }
        return members
    }

    private static func record(id: UUID, name: String, description: String?, version: Int, members: [(NamedArea.Member, String)]) -> AreaRecord {
        var names: [String: String] = [:]
        for (member, name) in members {
            switch member {
            case .municipality(let code), .region(let code): names[code] = name
            }
        }
        return AreaRecord(
            area: NamedArea(id: id, name: name, description: description, members: members.map(\.0), version: version), memberNames: names)
    }
}
