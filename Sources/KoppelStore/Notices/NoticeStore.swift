import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// A notice as its reader sees it in Koppel.
public struct Notice: Sendable, Identifiable {
    public let id: Int64
    public let content: NoticeContent
    public let read: Bool
}

/// A person's own notices and notice settings. Row-level security shows each person only their own (schema 0014).
public struct NoticeStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// A bell counts to here and says "99+" beyond: counting thousands on every page helps nobody.
    public static let countLimit = 100

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// How many notices `actor` has not read, up to `countLimit`.
    public func unreadCount(for actor: Actor) async throws -> Int {
        try await transaction(actor) { connection in
            try await connection.query(
                """
                SELECT count(*)::integer FROM (SELECT 1 FROM notices WHERE user_id = \(actor.userID) AND read_at IS NULL
                LIMIT \(Self.countLimit)) AS unread
                """, logger: logger
            ).collect().first?.decode(Int.self) ?? 0
        }
    }

    /// The newest `limit` notices of `actor`.
    public func notices(for actor: Actor, limit: Int = 100) async throws -> [Notice] {
        try await transaction(actor) { connection in
            try await Self.select("n.user_id = \(actor.userID) ORDER BY n.id DESC LIMIT \(limit)", on: connection, logger: logger)
        }
    }

    /// The referrals `actor` has unread notices about: what waits on them.
    public func unreadReferrals(for actor: Actor) async throws -> Set<UUID> {
        try await transaction(actor) { connection in
            Set(try await connection.query(
                """
                SELECT DISTINCT referral_id FROM notices
                WHERE user_id = \(actor.userID) AND read_at IS NULL AND referral_id IS NOT NULL LIMIT 1000
                """, logger: logger
            ).collect().map { try $0.decode(UUID.self) })
        }
    }

    /// Marks one notice read; returns it (to follow its link), nil when it is not the actor's.
    public func markRead(_ id: Int64, by actor: Actor) async throws -> Notice? {
        try await transaction(actor) { connection in
            try await connection.query(
                "UPDATE notices SET read_at = coalesce(read_at, koppel_now()) WHERE id = \(id) AND user_id = \(actor.userID)", logger: logger)
            return try await Self.select("n.id = \(id) AND n.user_id = \(actor.userID)", on: connection, logger: logger).first
        }
    }

    private static func select(_ condition: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Notice] {
        var query: PostgresQuery = """
            SELECT n.id, n.kind, n.event_type, n.referral_id, p.name, n.details::text, n.created_at, n.read_at IS NOT NULL
            FROM notices n LEFT JOIN programmes p ON p.id = n.programme_id WHERE
            """
        query.sql += " " + condition.sql
        query.binds = condition.binds
        return try await connection.query(query, logger: logger).collect().compactMap { row in
            let (id, kind, event, referral, programme, details, createdAt, read) =
                try row.decode((Int64, String, String, UUID?, String?, String, Date, Bool).self)
            return NoticeContent(kind: kind, event: event, referral: referral, programme: programme, details: details, at: createdAt)
                .map { Notice(id: id, content: $0, read: read) }
        }
    }

    /// Marks every notice of `actor` read.
    public func markAllRead(by actor: Actor) async throws {
        _ = try await transaction(actor) { connection in
            try await connection.query(
                "UPDATE notices SET read_at = koppel_now() WHERE user_id = \(actor.userID) AND read_at IS NULL", logger: logger)
        }
    }

    public func settings(of actor: Actor) async throws -> NoticeSettings {
        try await transaction(actor) { connection in
            let user = try await connection.query(
                "SELECT language, (extract(epoch FROM digest_time) / 60)::integer FROM users WHERE id = \(actor.userID)", logger: logger
            ).collect().first?.decode((String, Int).self)
            var settings = NoticeSettings(digestMinute: user?.1 ?? 8 * 60, language: user.flatMap { UILanguage(rawValue: $0.0) } ?? .dutch)
            for row in try await connection.query(
                "SELECT kind, delivery FROM notice_preferences WHERE user_id = \(actor.userID)", logger: logger
            ).collect() {
                let (kind, delivery) = try row.decode((String, String).self)
                if let kind = NoticeKind(rawValue: kind), let delivery = NoticeDelivery(rawValue: delivery) { settings.deliveries[kind] = delivery }
            }
            return settings
        }
    }

    /// Saves `actor`'s choices, all or nothing; notices waiting for a digest move to the new digest time.
    public func save(_ settings: NoticeSettings, for actor: Actor) async throws {
        if let problem = settings.problem { throw problem }
        let kinds = Array(settings.deliveries.keys)
        try await transaction(actor) { connection in
            try await connection.query(
                """
                UPDATE users SET language = \(settings.language.rawValue),
                    digest_time = make_time(\(settings.digestMinute / 60)::integer, \(settings.digestMinute % 60)::integer, 0)
                WHERE id = \(actor.userID)
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO notice_preferences (user_id, organisation_id, kind, delivery)
                SELECT \(actor.userID), \(actor.organisationID), k.kind, k.delivery
                FROM unnest(\(kinds.map(\.rawValue)), \(kinds.map { settings.deliveries[$0]!.rawValue })) AS k(kind, delivery)
                ON CONFLICT (user_id, kind) DO UPDATE SET delivery = excluded.delivery
                """, logger: logger)
            try await connection.query(
                """
                UPDATE notices SET email_due_at = delivery.next_digest(make_time(\(settings.digestMinute / 60)::integer,
                    \(settings.digestMinute % 60)::integer, 0), koppel_now())
                WHERE user_id = \(actor.userID) AND email_state = 'digest'
                """, logger: logger)
        }
    }

    func transaction<T: Sendable>(_ actor: Actor, _ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        try await client.withTenantTransaction(organisation: actor.organisationID, user: actor.userID, logger: logger, body)
    }
}
