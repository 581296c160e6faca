import Foundation
import HTTPTypes
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Synchronization
import Testing

/// A clock the test moves forward, for the server and the database alike (decision 0014).
final class MovingClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)

    init() {}

    /// A clock that reads `start` now, and runs on from there.
    init(startingAt start: Date) {
        offset.withLock { $0 = start.timeIntervalSinceNow }
    }

    /// `2026-04-02T09:00:00+02:00`.
    convenience init(startingAt text: String) {
        self.init(startingAt: ISO8601DateFormatter().date(from: text)!)
    }

    var clock: WallClock { WallClock { [self] in Date().addingTimeInterval(self.offset.withLock { $0 }) } }

    func advance(hours: Double) {
        offset.withLock { $0 += hours * 3600 }
    }

    /// Moves to `text` (ISO 8601), forward or back.
    func set(_ text: String) {
        let target = ISO8601DateFormatter().date(from: text)!
        offset.withLock { $0 = target.timeIntervalSinceNow }
    }
}

@Suite("The delivery engine keeps to the schedule")
struct WebhookDeliveryTests {
    @Test("a failing receiver is tried eight times as one message, then the delivery is dead; sent again by hand, it arrives")
    func deadLetterAndReplay() async throws {
        let time = MovingClock()
        try await TestReceiver.run { receiver, url in
            receiver.answer(.serviceUnavailable)
            try await TestApp.run(clock: time.clock, webhookDeliveries: 4) { client, database in
                let api = APICall(client: client)
                let (admin, path) = try await Self.pinged(url, by: "vluchtelingenwerk", tokenDays: 30, api, database)
                try await receiver.wait("the first try") { $0.requests.count == 1 }
                try await Self.logged(1, api, path, admin)
                // Each wait of the schedule is at most 10 hours and a tenth: moving 11 hours makes the next try due.
                for tries in 2...8 {
                    time.advance(hours: 11)
                    try await receiver.wait("try \(tries)") { $0.requests.count == tries }
                    try await Self.logged(tries, api, path, admin)
                }
                time.advance(hours: 11)
                try await Task.sleep(for: .seconds(1))
                #expect(receiver.requests.count == 8, "no ninth try")
                #expect(Set(receiver.requests.map(\.webhookID)).count == 1 && Set(receiver.requests.map(\.body)).count == 1, "one message")

                let dead = try await api(.get, "\(path)/deliveries?state=dead", as: admin.token)
                #expect(dead.list.count == 1 && dead.list.first?["attempts"] as? Int == 8)
                let log = try await api(.get, "\(path)/attempts", as: admin.token)
                #expect(log.list.count == 8 && log.list.allSatisfy { $0["http_status"] as? Int == 503 })
                let subscription = try await api(.get, path, as: admin.token)
                #expect(subscription.json["status"] as? String == "active", "88 hours of failing is not yet five days")
                #expect(subscription.json["failing_since"] != nil)

                receiver.answer(.noContent)
                let deliveryID = try #require(dead.list.first?["id"] as? Int)
                #expect(try await api(.post, "\(path)/deliveries/\(deliveryID)/replay", as: admin.token).status == .accepted)
                try await receiver.wait("the replayed delivery") { $0.requests.count == 9 }
                #expect(receiver.requests.last?.webhookID == receiver.requests.first?.webhookID, "sent again as the same message")
                try await Task.sleep(for: .milliseconds(500))
                let delivered = try await api(.get, "\(path)/deliveries?state=delivered", as: admin.token)
                #expect(delivered.list.count == 1)
                #expect(try await api(.get, path, as: admin.token).json["failing_since"] == nil, "a success ends the failing")
                let again = try await api(.post, "\(path)/deliveries/\(deliveryID)/replay", as: admin.token)
                #expect(again.status == .notFound && again.detail.contains("only dead ones"), "a delivered one is not sent again")

                // Pruning keeps 30 days of deliveries and their log, and a day of handed-on outbox rows.
                let counts = "SELECT (SELECT count(*) FROM webhook_deliveries)::integer, (SELECT count(*) FROM webhook_attempts)::integer"
                let prune = { (days: Int) async throws -> (Int, Int) in
                    try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { db in
                        _ = try await db.query("SELECT delivery.prune(\(time.clock.now().addingTimeInterval(Double(days) * 86400)))", logger: quietLogger).collect()
                    }
                    return try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
                        try await db.query(PostgresQuery(unsafeSQL: counts), logger: quietLogger).collect().first!.decode((Int, Int).self)
                    }
                }
                #expect(try await prune(25) == (1, 9), "kept for 30 days (the first try was 88 hours ago)")
                #expect(try await prune(31) == (0, 0), "forgotten after 30 days")
            }
        }
    }

    @Test("a subscription failing for five days is disabled, and sent nothing until an org-admin resumes it")
    func failingForFiveDays() async throws {
        let time = MovingClock()
        try await TestReceiver.run { receiver, url in
            receiver.answer(.internalServerError)
            try await TestApp.run(clock: time.clock, webhookDeliveries: 4) { client, database in
                let api = APICall(client: client)
                let (admin, path) = try await Self.pinged(url, by: "stek", tokenDays: 30, api, database)
                try await receiver.wait("the first try") { $0.requests.count == 1 }
                try await Self.logged(1, api, path, admin)
                time.advance(hours: 5 * 24 + 1)
                try await receiver.wait("the try after five days") { $0.requests.count == 2 }
                try await Self.logged(2, api, path, admin)
                let subscription = try await api(.get, path, as: admin.token)
                #expect(subscription.json["status"] as? String == "disabled" && subscription.json["disabled_reason"] as? String == "failing")

                receiver.answer(.ok)
                #expect(try await api(.post, "\(path)/ping", as: admin.token).status == .ok)
                time.advance(hours: 11)
                try await Task.sleep(for: .seconds(1))
                #expect(receiver.requests.count == 2, "a disabled subscription is sent nothing")
                #expect(try await api(.post, "\(path)/resume", as: admin.token).status == .ok)
                try await receiver.wait("the deliveries that waited") { $0.requests.count >= 3 }
            }
        }
    }

    @Test("a host name that resolves inside the network is refused when sending, not only when subscribing")
    func resolvedInside() async throws {
        try await TestReceiver.run { receiver, url in
            let byName = url.replacingOccurrences(of: "127.0.0.1", with: "localhost")
            try await TestApp.run(webhookDeliveries: 4, webhookPolicy: WebhookEndpointPolicy(allowPlainHTTP: true)) { client, database in
                let api = APICall(client: client)
                let (admin, path) = try await Self.pinged(byName, by: "vluchtelingenwerk", api, database)
                var log: [[String: Any]] = []
                for _ in 0..<100 where log.isEmpty {
                    try await Task.sleep(for: .milliseconds(100))
                    log = try await api(.get, "\(path)/attempts", as: admin.token).list
                }
                #expect(log.first?["error_class"] as? String == "refused_address", "\(log)")
                #expect(receiver.requests.isEmpty, "nothing reached the loopback receiver")
            }
        }
    }

    @Test("a receiver that refuses the connection is a failed try, logged as a connection error")
    func refusedConnection() async throws {
        // Once `run` returns, the receiver is gone and its port refuses connections.
        let url = try await TestReceiver.run { _, url in url }
        try await TestApp.run(webhookDeliveries: 4) { client, database in
            let api = APICall(client: client)
            let (admin, path) = try await Self.pinged(url, by: "vluchtelingenwerk", api, database)
            var log: [[String: Any]] = []
            for _ in 0..<100 where log.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                log = try await api(.get, "\(path)/attempts", as: admin.token).list
            }
            #expect(log.first?["error_class"] as? String == "connection", "\(log)")
        }
    }

    @Test("a claimed delivery whose secret does not open waits for its lease; the rest of the batch goes out")
    func unpreparedDeliveryHoldsBackNoOther() async throws {
        let keyFile = try TestKeys.newKeyFile()
        defer { TestKeys.remove(keyFile) }
        // No delivery worker in the application: the test claims, as a replica's worker would.
        try await TestApp.run(keys: keyFile) { client, database in
            let api = APICall(client: client)
            let admin = try await WebhookAdmin.make(database, "vluchtelingenwerk")
            var subscriptions: [String] = []
            for path in ["/broken", "/fine"] {
                let (id, _) = try await admin.subscribe("http://127.0.0.1:9\(path)", api)
                #expect(try await api(.post, "\(admin.webhooks)/\(id)/ping", as: admin.token).status == .ok)
                subscriptions.append(id)
            }
            // As if sealed under another key file: it does not open.
            let broken = try #require(UUID(uuidString: subscriptions[0]))
            try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                _ = try await admin.query(
                    "UPDATE webhook_subscriptions SET secret_sealed = 'sealed:v1:' || encode(decode(md5(random()::text) || md5(random()::text), 'hex'), 'base64') WHERE id = \(broken)",
                    logger: quietLogger)
            }
            let claimed = try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { app in
                try await DeliveryQueue(client: app, keys: try KeyRing(path: keyFile), logger: quietLogger).claim(limit: 10, lease: .seconds(30))
            }
            #expect(claimed.map(\.url) == ["http://127.0.0.1:9/fine"])
        }
    }

    @Test("a redirect is not followed: it counts as a failed try")
    func noRedirects() async throws {
        try await TestReceiver.run { receiver, url in
            receiver.answer(.found)
            try await TestApp.run(webhookDeliveries: 4) { client, database in
                let api = APICall(client: client)
                let (admin, path) = try await Self.pinged(url, by: "vluchtelingenwerk", api, database)
                try await receiver.wait("the try") { $0.requests.count == 1 }
                try await Task.sleep(for: .milliseconds(500))
                #expect(receiver.requests.count == 1, "the Location was not visited")
                let deliveries = try await api(.get, "\(path)/deliveries", as: admin.token).list
                #expect(deliveries.first?["state"] as? String == "pending" && deliveries.first?["attempts"] as? Int == 1)
                #expect(try await api(.get, "\(path)/attempts", as: admin.token).list.first?["http_status"] as? Int == 302)
            }
        }
    }

    /// An org-admin of `slug` subscribes `url` and asks for a test event; returns the admin and the subscription's path.
    private static func pinged(
        _ url: String, by slug: String, tokenDays: Int = 1, _ api: APICall, _ database: TestDatabase,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (WebhookAdmin, String) {
        let admin = try await WebhookAdmin.make(database, slug, tokenDays: tokenDays)
        let (id, _) = try await admin.subscribe(url, api, sourceLocation: sourceLocation)
        let path = "\(admin.webhooks)/\(id)"
        #expect(try await api(.post, "\(path)/ping", as: admin.token).status == .ok, sourceLocation: sourceLocation)
        return (admin, path)
    }

    /// Waits until the delivery log has `count` tries: the clock moves only once a try is recorded.
    private static func logged(_ count: Int, _ api: APICall, _ path: String, _ admin: WebhookAdmin) async throws {
        for _ in 0..<200 {
            if try await api(.get, "\(path)/attempts", as: admin.token).list.count >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the delivery log never had \(count) tries")
    }
}
