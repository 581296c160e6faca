import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// Organisations: partners, operators and funders.
public struct OrganisationStore: Sendable {
    public struct Organisation: Sendable, Hashable {
        public let id: UUID
        public let slug: String
        public let name: String
        public let kinds: [String]
        /// What kind of organisation it is, as funders' figures break referrers down.
        public let type: OrganisationType
        public var createdAt: Date? = nil
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func all() async throws -> [Organisation] {
        let rows = try await client.query(
            "SELECT id, slug, name, kinds, organisation_type, created_at FROM organisations ORDER BY lower(name)", logger: logger)
        var organisations: [Organisation] = []
        for try await (id, slug, name, kinds, type, createdAt) in rows.decode((UUID, String, String, [String], String, Date).self) {
            organisations.append(Organisation(
                id: id, slug: slug, name: name, kinds: kinds, type: OrganisationType(rawValue: type) ?? .civilSociety, createdAt: createdAt))
        }
        return organisations
    }

    public func find(slug: String) async throws -> Organisation? {
        try await all().first { $0.slug == slug }
    }

    /// Creates an organisation; `kinds` from referrer, operator, funder.
    public func create(slug: String, name: String, kinds: [String], type: OrganisationType = .civilSociety) async throws -> UUID {
        guard OrganisationNames.areValid(slug: slug, name: name) else { throw OrganisationError.invalid }
        do {
            return try await client.withClockedTransaction(logger: logger) { connection in
                try await connection.query(
                    "INSERT INTO organisations (slug, name, kinds, organisation_type) VALUES (\(slug), \(name), \(kinds), \(type.rawValue)) RETURNING id",
                    logger: logger
                ).collect().first!.decode(UUID.self)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw OrganisationError.slugTaken(slug)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23514" {
            throw OrganisationError.invalid
        }
    }
}

public enum OrganisationError: Error, Equatable, CustomStringConvertible {
    case slugTaken(String)
    case invalid

    public var description: String {
        switch self {
        case .slugTaken(let slug): "an organisation with the short name '\(slug)' already exists"
        case .invalid:
            "the short name must be 1 to 60 lower-case letters, digits and dashes, the name 1 to 200 characters, kinds from referrer, operator, funder, and the type one of \(OrganisationType.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }
}
