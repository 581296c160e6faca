import Foundation
import KoppelCore
import Logging
import PostgresNIO

/// A delivery claimed for sending: where to, the exact body, and the secrets to sign it with (the current one, and the
/// previous one while a rotation overlaps).
public struct ClaimedDelivery: Sendable {
    public let deliveryID: Int64
    public let messageID: String
    public let url: String
    public let body: String
    public let secrets: [String]
    /// Including this one.
    public let attempts: Int
    /// The W3C `traceparent` of the request that wrote the event, if it came from one.
    public let traceparent: String?
}

/// What one try of a delivery came to.
public struct DeliveryOutcome: Sendable, Equatable {
    public var httpStatus: Int?
    public var latencyMilliseconds: Int
    /// `timeout`, `connection`, `refused_address`, `invalid_url`, `too_large`; nil when an answer came.
    public var errorClass: String?
    public var responseExcerpt: String?

    public init(httpStatus: Int?, latencyMilliseconds: Int, errorClass: String?, responseExcerpt: String?) {
        self.httpStatus = httpStatus
        self.latencyMilliseconds = latencyMilliseconds
        self.errorClass = errorClass
        self.responseExcerpt = responseExcerpt
    }

    public var succeeded: Bool { (200...299).contains(httpStatus ?? 0) }
}

/// The delivery side of the outbox, through the delivery role's functions (schema 0013): hand events to the
/// subscriptions that want them, claim what is due, record how each try went, prune what is over. Any replica may
/// run it; `FOR UPDATE SKIP LOCKED` keeps two from taking the same work. Each call is one statement, committed by
/// itself, given the time of `WallClock.current`.
public struct DeliveryQueue: Sendable {
    let client: PostgresClient
    let secrets: SecretSeal
    let logger: Logger

    public init(client: PostgresClient, keys: KeyRing, logger: Logger) {
        self.client = client
        self.secrets = SecretSeal(keys: keys, purpose: WebhookStore.secretPurpose)
        self.logger = logger
    }

    /// Hands up to `limit` outbox rows to deliveries; returns how many rows it took.
    public func fanOut(limit: Int) async throws -> Int {
        let now = WallClock.current.now()
        return try await client.query("SELECT delivery.fan_out(\(limit)::integer, \(now))", logger: logger).collect().first?.decode(Int.self) ?? 0
    }

    /// Claims up to `limit` due deliveries for `lease`: if this replica does not record them by then, another sends them.
    public func claim(limit: Int, lease: Duration) async throws -> [ClaimedDelivery] {
        let now = WallClock.current.now()
        let rows = try await client.query(
            """
            SELECT delivery_id, message_id, subscription_id, url, secret_sealed, previous_secret_sealed, previous_secret_until, body, attempts,
                traceparent
            FROM delivery.claim(\(limit)::integer, \(Int(lease.components.seconds))::integer, \(now))
            """, logger: logger
        ).collect()
        // The claim is committed: a row that cannot be prepared (a secret that does not open) waits out its lease and is
        // claimed again, but does not hold back the others of the batch.
        return rows.compactMap { row in
            do {
                let (id, message, subscription, url, sealed, previous, until, body, attempts, traceparent) =
                    try row.decode((Int64, String, UUID, String, String, String?, Date?, String, Int, String?).self)
                var signing = [try secrets.open(sealed, owner: subscription)]
                if let previous, let until, until > now { signing.append(try secrets.open(previous, owner: subscription)) }
                return ClaimedDelivery(deliveryID: id, messageID: message, url: url, body: body, secrets: signing, attempts: attempts,
                    traceparent: traceparent)
            } catch {
                let id = (try? row.decode(Int64.self)).map(String.init) ?? "?"
                logger.error("a claimed webhook delivery could not be prepared; it is claimed again after its lease",
                             metadata: ["delivery_id": "\(id)", "error": "\(type(of: error))"])
                return nil
            }
        }
    }

    /// Records tries: each delivery delivered, due again on the schedule, or dead after the last. One statement for
    /// all of them.
    public func record(_ tries: [(delivery: ClaimedDelivery, outcome: DeliveryOutcome)]) async throws {
        guard !tries.isEmpty else { return }
        let now = WallClock.current.now()
        let epoch = Date(timeIntervalSince1970: 0)
        let next = tries.map { delivery, outcome in
            outcome.succeeded ? epoch : DeliverySchedule.nextAttempt(after: delivery.attempts, failedAt: now, jitter: .random(in: -1...1)) ?? epoch
        }
        _ = try await client.query(
            """
            SELECT delivery.record_all(\(tries.map(\.delivery.deliveryID)), \(tries.map { $0.outcome.httpStatus ?? 0 })::integer[],
                \(tries.map(\.outcome.latencyMilliseconds))::integer[], \(tries.map { $0.outcome.errorClass ?? "" }),
                \(tries.map { $0.outcome.responseExcerpt ?? "" }), \(next), \(Int(DeliverySchedule.disableAfter.components.seconds))::integer, \(now))
            """, logger: logger
        ).collect()
    }

    /// Forgets handed-on outbox rows after a day, delivered deliveries and the log after 30 days.
    public func prune() async throws {
        _ = try await client.query("SELECT delivery.prune(\(WallClock.current.now()))", logger: logger).collect()
    }
}
