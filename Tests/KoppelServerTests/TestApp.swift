import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelServer
import KoppelStore
import KoppelTestSupport
import Logging
import PostgresNIO
import Testing
/// Runs `test` against the whole application, built as `koppel serve` builds it, on a database of its own.
enum TestApp {
    enum Contents { case migrated, seeded, empty }
    enum Role: Sendable { case app, owner, admin }

    static func run<T: Sendable>(
        _ data: Contents = .seeded, connectAs role: Role = .app, over transport: TestingSetup = .router, keys: String? = nil,
        trustedProxies: TrustedProxies = .none, clock: WallClock = .system, rateLimit: Int = 0, webhookDeliveries: Int = 0,
        webhookPolicy: WebhookEndpointPolicy = .permissive, notices: Bool = false, metricsPort: Int = 0,
        before start: @escaping @Sendable (TestDatabase) async throws -> Void = { _ in },
        _ test: @escaping @Sendable (any TestClientProtocol, TestDatabase) async throws -> T
    ) async throws -> T {
        let body: @Sendable (TestDatabase) async throws -> T = { database in
            if data == .seeded {
                try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { client in
                    try await DemoSeeder(client: client, logger: quietLogger).seed(try DemoData.bundled())
                }
            }
            try await start(database)
            // A generous deadline: on two busy cores, bcrypt and sign-in slow-downs take seconds.
            return try await run(
                databaseURL: role == .app ? database.appURL : role == .owner ? database.ownerURL : database.adminURL,
                vaultURL: database.vaultURL, keys: keys,
                requestTimeoutSeconds: 60, trustedProxies: trustedProxies, clock: clock, rateLimit: rateLimit,
                webhookDeliveries: webhookDeliveries, webhookPolicy: webhookPolicy, notices: notices, metricsPort: metricsPort, over: transport
            ) { client in
                try await test(client, database)
            }
        }
        return data == .empty ? try await TestDatabases.withEmptyDatabase(body) : try await TestDatabases.withMigratedDatabase(body)
    }

    /// The application against any database URL, reachable or not.
    static func run<T: Sendable>(
        databaseURL: DatabaseURL, vaultURL: DatabaseURL? = nil, keys: String? = nil, requestTimeoutSeconds: Int = 10,
        trustedProxies: TrustedProxies = .none, clock: WallClock = .system, rateLimit: Int = 0, webhookDeliveries: Int = 0,
        webhookPolicy: WebhookEndpointPolicy = .permissive, notices: Bool = false, metricsPort: Int = 0, over transport: TestingSetup = .router,
        _ test: @escaping @Sendable (any TestClientProtocol) async throws -> T
    ) async throws -> T {
        TestLogging.bootstrap()
        let keyFile = try keys ?? TestKeys.newKeyFile()
        defer { if keys == nil { TestKeys.remove(keyFile) } }
        let settings = ServerSettings(
            port: 0, requestTimeoutSeconds: requestTimeoutSeconds, trustedProxies: trustedProxies, rateLimitPerMinute: rateLimit,
            databaseURL: databaseURL,
            vaultDatabaseURL: vaultURL ?? databaseURL, keyFile: keyFile, retentionIntervalHours: 0,
            databasePoolSize: 4, schemaDirectory: try TestEnvironment.current().schemaDirectory.path, logLevel: .debug, clock: clock)
        var configured = settings
        // Sending webhooks is a background loop most tests do not need; those that do turn it on.
        configured.webhookDeliveries = webhookDeliveries
        // Most tests need no notices: a notice worker in each of the suites running at once only loads the machine.
        configured.noticeWorker = notices
        configured.readinessTimeout = .seconds(requestTimeoutSeconds < 10 ? 2 : 10)
        configured.webhookPolicy = webhookPolicy
        configured.metricsPort = metricsPort
        let app = try await buildApplication(settings: configured)
        return try await app.test(transport) { client in try await test(client) }
    }
}

extension TestApp {
    /// The id the API lists for the programme with this name.
    static func programmeID(named name: String, _ client: any TestClientProtocol) async throws -> String {
        try await client.execute(uri: "/api/v1/programmes", method: .get) { response in
            let contents = try #require(response.json["contents"] as? [[String: Any]])
            return try #require(contents.first { $0["name"] as? String == name }?["id"] as? String)
        }
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object; empty when it is not one (the expectations on it then fail).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Foundation.Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }
}

extension WebhookEndpointPolicy {
    /// Receivers on this machine: plain HTTP to loopback.
    static let permissive = WebhookEndpointPolicy(allowPlainHTTP: true, allowPrivateAddresses: true)
}
