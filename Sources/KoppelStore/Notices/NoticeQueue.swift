import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// A notice whose e-mail is due, with what the mail says: never more than the notice itself holds.
public struct MailNotice: Sendable {
    public let noticeID: Int64
    public let userID: UUID
    public let email: String
    public let language: UILanguage
    public let content: NoticeContent
    /// Part of the person's daily digest, not a mail of its own.
    public let digest: Bool
    /// Including this one.
    public let attempts: Int
}

/// The notice side of the outbox, through the delivery role's functions (schema 0014): turn events into notices,
/// mark late referrals, claim the mail that is due and record how it went. Any replica may run it; each call is one
/// statement given the time of `WallClock.current`.
public struct NoticeQueue: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Turns up to `limit` outbox rows into notices by `NoticeRouting`; returns how many rows it read.
    public func fanOut(limit: Int) async throws -> Int {
        let now = WallClock.current.now()
        let routes = NoticeRouting.routes
        return try await client.query(
            """
            SELECT delivery.notice_fan_out(\(limit)::integer, \(now), \(routes.map(\.event)), \(routes.map(\.kind.rawValue)),
                \(routes.map(\.audience.rawValue)))
            """, logger: logger
        ).collect().first?.decode(Int.self) ?? 0
    }

    /// Marks up to `limit` referrals overdue and as many escalated, each with its event; returns how many.
    public func scanDeadlines(limit: Int) async throws -> Int {
        let now = WallClock.current.now()
        return try await client.query("SELECT delivery.scan_deadlines(\(limit)::integer, \(now))", logger: logger)
            .collect().first?.decode(Int.self) ?? 0
    }

    /// Gives up on mail not sent within a week, and forgets notices after 90 days.
    public func expireAndPrune() async throws {
        let now = WallClock.current.now()
        _ = try await client.query("SELECT delivery.expire_notices(\(now))", logger: logger).collect()
    }

    /// Claims up to `limit` notices whose mail is due, for `lease`: if this replica does not record them by then,
    /// another sends them.
    public func claimMail(limit: Int, lease: Duration) async throws -> [MailNotice] {
        let now = WallClock.current.now()
        let rows = try await client.query(
            """
            SELECT notice_id, user_id, email, language, kind, event_type, referral_id, programme_name, details::text, digest, created_at, attempts
            FROM delivery.claim_mail(\(limit)::integer, \(Int(lease.components.seconds))::integer, \(now))
            """, logger: logger
        ).collect()
        return try rows.compactMap { row in
            let (id, user, email, language, kind, event, referral, programme, details, digest, createdAt, attempts) =
                try row.decode((Int64, UUID, String, String, String, String, UUID?, String?, String, Bool, Date, Int).self)
            guard let content = NoticeContent(kind: kind, event: event, referral: referral, programme: programme, details: details, at: createdAt)
            else { return nil }
            return MailNotice(
                noticeID: id, userID: user, email: email, language: UILanguage(rawValue: language) ?? .dutch, content: content, digest: digest,
                attempts: attempts)
        }
    }

    /// Records how mails went, in one statement.
    public func recordMail(_ outcomes: [(notice: Int64, outcome: MailOutcome)]) async throws {
        guard !outcomes.isEmpty else { return }
        let now = WallClock.current.now()
        _ = try await client.query(
            """
            SELECT delivery.record_mail(\(outcomes.map(\.notice)), \(outcomes.map(\.outcome.name)), \(outcomes.map { $0.outcome.next ?? now }),
                \(outcomes.map { $0.outcome.error ?? "" }), \(now))
            """, logger: logger
        ).collect()
    }
}

/// How sending a notice's mail went.
public enum MailOutcome: Sendable, Equatable {
    case sent
    /// To be tried again at that time.
    case retry(at: Date, error: String)
    /// Refused for good (the server said the address or message is wrong).
    case failed(error: String)

    var name: String {
        switch self {
        case .sent: "sent"
        case .retry: "retry"
        case .failed: "failed"
        }
    }

    var next: Date? {
        if case .retry(let at, _) = self { return at }
        return nil
    }

    var error: String? {
        switch self {
        case .sent: nil
        case .retry(_, let error), .failed(let error): error
        }
    }
}
