import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// The directory as HSDS publishes it, read as the app role: listed programmes with when they were last confirmed and
/// changed and their free places, and the organisations that run them. Directory data only; nothing about a person.
public struct PostgresHSDSDirectory: HSDSDirectory {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func services(_ query: DirectoryQuery) async throws -> DirectoryPage<DirectoryEntry> {
        let pattern = Filter(query).pattern
        // One statement: the count of all that match, and the page's ids (none past the end, the count still there).
        let rows = try await client.query(
            """
            WITH matching AS (
                SELECT p.id, lower(p.name) AS sort FROM programmes p JOIN organisations o ON o.id = p.operator_id
                WHERE p.status <> 'closed'
                  AND (\(pattern)::text IS NULL OR p.name ILIKE \(pattern) OR p.description_nl ILIKE \(pattern)
                       OR p.description_en ILIKE \(pattern) OR o.name ILIKE \(pattern))
                  AND (\(query.modifiedAfter)::timestamptz IS NULL
                       OR greatest(p.updated_at, p.directory_confirmed_at) >= \(query.modifiedAfter))
                  AND (\(query.organisation)::uuid IS NULL OR p.operator_id = \(query.organisation)))
            SELECT (SELECT count(*) FROM matching)::integer, page.id
            FROM (SELECT 1) AS one LEFT JOIN LATERAL (
                SELECT m.id, m.sort FROM matching m ORDER BY m.sort, m.id LIMIT \(query.perPage) OFFSET \(query.offset)) AS page ON true
            ORDER BY page.sort, page.id
            """, logger: logger
        ).collect().map { try $0.decode((Int, UUID?).self) }
        let ids = rows.compactMap(\.1)
        return DirectoryPage(items: try await entries(ids), totalItems: rows.first?.0 ?? 0, pageNumber: query.page, perPage: query.perPage)
    }

    public func service(id: UUID) async throws -> DirectoryEntry? {
        try await entries([id]).first
    }

    public func organisations(_ query: DirectoryQuery) async throws -> DirectoryPage<DirectoryOrganisation> {
        let pattern = Filter(query).pattern
        // An organisation is in the HSDS directory when it runs a listed programme: referrers and funders are not
        // services' publishers, and their presence in Koppel is not for a public list.
        let rows = try await client.query(
            """
            WITH matching AS (
                SELECT o.id, lower(o.name) AS sort, o.name, o.description, o.website, o.updated_at FROM organisations o
                WHERE EXISTS (SELECT FROM programmes p WHERE p.operator_id = o.id AND p.status <> 'closed')
                  AND (\(pattern)::text IS NULL OR o.name ILIKE \(pattern) OR o.description ILIKE \(pattern))
                  AND (\(query.modifiedAfter)::timestamptz IS NULL OR o.updated_at >= \(query.modifiedAfter)))
            SELECT (SELECT count(*) FROM matching)::integer, page.id, page.name, page.description, page.website, page.updated_at
            FROM (SELECT 1) AS one LEFT JOIN LATERAL (
                SELECT * FROM matching m ORDER BY m.sort, m.id LIMIT \(query.perPage) OFFSET \(query.offset)) AS page ON true
            ORDER BY page.sort, page.id
            """, logger: logger
        ).collect().map { try $0.decode((Int, UUID?, String?, String?, String?, Date?).self) }
        let organisations = rows.compactMap { row -> DirectoryOrganisation? in
            guard let id = row.1, let name = row.2, let updated = row.5 else { return nil }
            return DirectoryOrganisation(id: id, name: name, description: row.3, website: row.4, lastModified: updated)
        }
        return DirectoryPage(items: organisations, totalItems: rows.first?.0 ?? 0, pageNumber: query.page, perPage: query.perPage)
    }

    public func organisation(id: UUID) async throws -> DirectoryOrganisation? {
        guard let row = try await client.query(
            """
            SELECT o.id, o.name, o.description, o.website, o.updated_at FROM organisations o
            WHERE o.id = \(id) AND EXISTS (SELECT FROM programmes p WHERE p.operator_id = o.id AND p.status <> 'closed')
            """, logger: logger
        ).collect().first else { return nil }
        let (_, name, description, website, updated) = try row.decode((UUID, String, String?, String?, Date).self)
        let programmes = try await client.query(
            """
            SELECT p.id, p.name, p.status, p.description_nl, p.description_en FROM programmes p
            WHERE p.operator_id = \(id) AND p.status <> 'closed' ORDER BY lower(p.name), p.id
            """, logger: logger
        ).collect().map { row in
            let (programme, name, status, dutch, english) = try row.decode((UUID, String, String, String, String?).self)
            return ProgrammeSummary(
                id: programme, name: name, status: ProgrammeStatus(rawValue: status) ?? .closed,
                description: LocalizedText(dutch: dutch, english: english))
        }
        return DirectoryOrganisation(id: id, name: name, description: description, website: website, lastModified: updated, programmes: programmes)
    }

    /// Listed programmes with these ids, in the order given, with what the directory adds to each.
    private func entries(_ ids: [UUID]) async throws -> [DirectoryEntry] {
        guard !ids.isEmpty else { return [] }
        var programmes: [UUID: Programme] = [:]
        for try await row in try await client.query(
            """
            \(unescaped: PostgresProgrammeDirectory.selectProgrammes)
            WHERE p.status <> 'closed' AND p.id = ANY(\(ids))
            """, logger: logger
        ) {
            let programme = try PostgresProgrammeDirectory.programme(from: row)
            programmes[programme.id] = programme
        }
        // Places are counted over every referrer's referrals by a function that answers with counts only.
        var extras: [UUID: (Date?, Date, Int?, String?)] = [:]
        for row in try await client.query(
            """
            SELECT p.id, p.directory_confirmed_at, greatest(p.updated_at, p.directory_confirmed_at),
                   CASE WHEN c.places_total IS NULL THEN NULL ELSE greatest(c.places_total - c.places_in_use, 0) END, o.description
            FROM programmes p JOIN organisations o ON o.id = p.operator_id JOIN counts.programme_places() c ON c.programme_id = p.id
            WHERE p.id = ANY(\(ids))
            """, logger: logger
        ).collect() {
            let (id, confirmed, modified, free, operatorDescription) = try row.decode((UUID, Date?, Date, Int?, String?).self)
            extras[id] = (confirmed, modified, free, operatorDescription)
        }
        return ids.compactMap { id in
            guard let programme = programmes[id], let (confirmed, modified, free, operatorDescription) = extras[id] else { return nil }
            return DirectoryEntry(
                programme: programme, confirmedAt: confirmed, lastModified: modified, freePlaces: free, operatorDescription: operatorDescription)
        }
    }
}

/// A search as an ILIKE pattern: the client's words are matched literally (their `%`, `_` and `\` escaped), bound as
/// a parameter, never written into the statement.
struct Filter {
    let pattern: String?

    init(_ query: DirectoryQuery) {
        pattern = query.search.map { words in
            let escaped = words.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            return "%\(escaped)%"
        }
    }
}
