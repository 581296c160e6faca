import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import KoppelAPI
import KoppelCore
import KoppelMail
import KoppelStore
import KoppelUseCases
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle

/// Builds the Koppel application from configuration. The executable and the tests both start here.
public func buildApplication(reader: ConfigReader) async throws -> some ApplicationProtocol {
    try await buildApplication(settings: ServerSettings(reader: reader))
}

/// Builds the Koppel application. `PostgresClient` runs as one of the application's services, so the pool
/// starts and stops with the server; nothing that matters lives in this process between requests.
/// `draining` turns readiness 503 once the process begins to shut down (`DrainService`).
public func buildApplication(settings: ServerSettings, draining: DrainState = DrainState()) async throws -> some ApplicationProtocol {
    try await buildApplicationAndRoutes(settings: settings, draining: draining).application
}

/// The application and every route it serves; tests hold the routes against the authorization matrix.
public func buildApplicationAndRoutes(
    settings: ServerSettings, draining: DrainState = DrainState()
) async throws -> (application: some ApplicationProtocol, routes: RouteCatalogue) {
    var logger = Logger(label: "koppel")
    logger.logLevel = settings.logLevel
    let migrations = try Migration.load(from: URL(fileURLWithPath: settings.schemaDirectory))
    // PostgreSQL ends a statement a second before the request's deadline, so only a call the driver lost (decision 0013)
    // is ever abandoned by the deadline itself.
    let statementTimeout = Duration.seconds(max(1, settings.requestTimeoutSeconds - 1))
    // Each pool names itself and this replica to PostgreSQL, so monitoring can count this replica's connections.
    let replica = "\(ProcessInfo.processInfo.hostName.prefix(32))-\(ProcessInfo.processInfo.processIdentifier)"
    let client = PostgresClient(
        configuration: settings.databaseURL.clientConfiguration(
            maximumConnections: settings.databasePoolSize, statementTimeout: statementTimeout,
            applicationName: OperationsStore.applicationName(pool: "requests", replica: replica)),
        backgroundLogger: logger)
    // Identifying data is reached through its own login, the vault role, on a pool of its own.
    let vaultClient = PostgresClient(
        configuration: settings.vaultDatabaseURL.clientConfiguration(
            maximumConnections: max(2, settings.databasePoolSize / 2), statementTimeout: statementTimeout,
            applicationName: OperationsStore.applicationName(pool: "vault", replica: replica)),
        backgroundLogger: logger)
    let registry = PrometheusCollectorRegistry()
    let measurements = MetricsEndpoint.measurements(into: registry)
    let keys = try KeyRing(path: settings.keyFile, erasureLedger: settings.erasureLedger)
    // A replica that could not record an erasure says so now, not when someone asks for one.
    try keys.erasures.prepare()

    let catalogues = try Catalogues.bundled()
    let renderer = try await PageRenderer.load(catalogues: catalogues)
    let directory = PostgresProgrammeDirectory(client: client, logger: logger)
    let users = UserStore(client: client, logger: logger)
    let sessions = SessionStore(
        client: client, logger: logger, idleTimeout: .seconds(settings.sessionIdleMinutes * 60),
        absoluteTimeout: .seconds(settings.sessionAbsoluteHours * 3600))
    let tokens = APITokenStore(client: client, logger: logger)
    let hasher = try PasswordHasher.bundled()
    let seeds = SecondFactorSeeds(keys: keys, users: users)

    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    let routes = RouteRegistrar(router: router)
    let progress = ServingProgress()
    let probeClient = PostgresClient(
        configuration: settings.databaseURL.clientConfiguration(maximumConnections: 1, statementTimeout: .seconds(2)), backgroundLogger: logger)
    OperationalRoutes(
        readiness: ReadinessProbe(
            client: probeClient, vaultClient: vaultClient, migrations: migrations, timeout: settings.readinessTimeout, stalledAfter: .seconds(settings.requestTimeoutSeconds * 2),
            progress: progress, draining: draining, logger: logger)
    ).register(on: routes)
    try StaticFiles.bundled().register(on: routes)
    let organisations = OrganisationStore(client: client, logger: logger)
    let referrals = ReferralStore(client: client, logger: logger)
    let programmes = ProgrammeStore(client: client, logger: logger)
    let throttles = SignInThrottleStore(client: client, logger: logger)
    let privacy = Privacy(
        clients: ClientStore(client: client, logger: logger), vault: VaultStore(client: vaultClient, keys: keys, logger: logger),
        referrals: referrals, lookups: throttles, measurements: measurements)
    let agreements = FundingAgreementStore(client: client, logger: logger)
    let statistics = StatisticsReports(
        store: StatisticsStore(client: client, logger: logger), agreements: agreements,
        directory: directory, threshold: settings.statisticsThreshold,
        gate: AsyncGate(width: settings.databasePoolSize / 2))
    let notices = NoticeStore(client: client, logger: logger)
    let webhooks = WebhookStore(client: client, keys: keys, policy: settings.webhookPolicy, logger: logger)
    let useCases = UseCases(
        referrals: referrals, privacy: privacy, users: users, areas: AreaStore(client: client, logger: logger), agreements: agreements
    ) { try await hasher.hash($0) }
    let confirmations = DirectoryConfirmations(client: client, logger: logger)
    let api = APIHandlers(
        directory: directory, catalogues: catalogues, users: users, organisations: organisations, tokens: tokens, hasher: hasher,
        referrals: referrals, programmes: programmes, privacy: privacy, statistics: statistics, webhooks: webhooks, useCases: useCases,
        directoryConfirmations: confirmations, directoryImport: try DirectoryImport(store: DirectoryImportStore(client: client, logger: logger)))
    ReferralReadRoute(api: api).register(on: routes)
    ReferralListRoute(api: api).register(on: routes)
    ReferralSubmissionRoute(api: api).register(on: routes)
    try api.registerHandlers(on: routes, serverURL: URL(string: "/api/v1")!, configuration: APIWireFormat.configuration)
    FHIRDoor(
        useCases: useCases, directory: directory, organisations: organisations, referrals: referrals, catalogues: catalogues,
        publicURL: settings.publicURL
    ).register(on: routes)
    DirectoryPages(directory: directory, renderer: renderer, referrals: referrals).register(on: routes)
    ProgrammeEditPage(renderer: renderer, directory: directory, programmes: programmes, confirmations: confirmations).register(on: routes)
    HSDSRoutes(directory: PostgresHSDSDirectory(client: client, logger: logger), catalogues: catalogues).register(on: routes)
    SignInPages(
        renderer: renderer, users: users, sessions: sessions,
        throttle: SignInThrottle(store: throttles), hasher: hasher, seeds: seeds, measurements: measurements
    ).register(on: routes)
    AccountPages(renderer: renderer, users: users, sessions: sessions, hasher: hasher, seeds: seeds, statistics: statistics)
        .register(on: routes)
    AdminPages(renderer: renderer, users: users, tokens: tokens, hasher: hasher, useCases: useCases).register(on: routes)
    WebhookPages(renderer: renderer, webhooks: webhooks).register(on: routes)
    NoticePages(renderer: renderer, notices: notices, mailConfigured: settings.mail != nil).register(on: routes)
    HubPages(renderer: renderer, organisations: organisations).register(on: routes)
    AreaPages(renderer: renderer, useCases: useCases).register(on: routes)
    AgreementPages(renderer: renderer, useCases: useCases, organisations: organisations, directory: directory).register(on: routes)
    FunderAgreementPage(renderer: renderer, useCases: useCases).register(on: routes)
    ReferralPages(renderer: renderer, referrals: referrals, directory: directory, privacy: privacy, notices: notices, useCases: useCases).register(on: routes)
    ReferralDetailPage(renderer: renderer, referrals: referrals, directory: directory, privacy: privacy, useCases: useCases).register(on: routes)
    ClientPage(renderer: renderer, privacy: privacy, directory: directory).register(on: routes)
    StatisticsPage(renderer: renderer, statistics: statistics).register(on: routes)

    // Spans are exported when `Serve` has installed an OpenTelemetry tracer for this endpoint (`TraceExport`).
    let spans = Spans(exported: settings.traceEndpoint != nil)
    let responder = KoppelResponder(
        inner: router.buildResponder(), routes: routes.catalogue, errorPages: renderer,
        requestTimeout: .seconds(settings.requestTimeoutSeconds),
        authenticator: Authenticator(users: users, sessions: sessions, tokens: tokens), trustedProxies: settings.trustedProxies,
        clock: settings.clock, contract: try ContractValidator(yaml: APIContract.yaml), progress: progress,
        limits: RequestLimits(perMinute: settings.rateLimitPerMinute), measurements: measurements, spans: spans)
    var services: [(name: String, service: any Service)] = [
        ("database pool", client), ("vault pool", vaultClient), ("readiness pool", probeClient),
        ("seed sealing", SeedSealingService(seeds: seeds, organisations: organisations, clock: settings.clock, logger: logger)),
    ]
    if settings.webhookDeliveries > 0 {
        // Deliveries have a small pool of their own, so they cannot take the requests' connections. Their commits need
        // not wait for the disk: a commit lost in a crash of PostgreSQL only means an event is sent again (decision 0016).
        let deliveryClient = backgroundPool(settings, connections: 4, name: OperationsStore.applicationName(pool: "deliveries", replica: replica), logger: logger)
        services.append(("deliveries pool", deliveryClient))
        services.append(("deliveries", DeliveryService(
            queue: DeliveryQueue(client: deliveryClient, keys: keys, logger: logger),
            sender: WebhookSender(policy: settings.webhookPolicy, spans: spans, logger: logger), width: settings.webhookDeliveries, clock: settings.clock,
            measurements: measurements, logger: logger)))
    }
    if settings.noticeWorker {
        // Notices have a pool of their own too, for the same reasons; a notice lost in a crash of PostgreSQL is lost with
        // the outbox row's mark, and made again.
        let noticeClient = backgroundPool(settings, connections: 2, name: OperationsStore.applicationName(pool: "notices", replica: replica), logger: logger)
        services.append(("notices pool", noticeClient))
        services.append(("notices", NoticeService(
            queue: NoticeQueue(client: noticeClient, logger: logger),
            mail: try settings.mail.map { mail in
                (try SMTPClient(settings: mail.smtp, logger: logger), NoticeMail(catalogues: catalogues, publicURL: settings.publicURL, sender: mail.sender))
            },
            clock: settings.clock, logger: logger)))
    }
    if settings.retentionIntervalHours > 0 {
        services.append(("retention", RetentionService(
            privacy: privacy, interval: .seconds(settings.retentionIntervalHours * 3600), clock: settings.clock, logger: logger)))
    }
    if settings.metricsPort > 0 {
        let metrics = MetricsEndpoint(
            registry: registry, measurements: measurements, operations: OperationsStore(client: client, logger: logger), replica: replica)
        services.append(("metrics", metrics.application(host: settings.metricsHost, port: settings.metricsPort, logger: logger)))
    }
    let application = Application(
        responder: responder,
        configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: nil),
        services: services.map { WatchedService(name: $0.name, service: $0.service, logger: logger) },
        logger: logger)
    return (application, routes.catalogue)
}

/// A small pool for background work that any replica may do, beside the requests' pool. Its commits need not wait for
/// the disk: each statement only claims or records work that is done again if its commit is lost.
private func backgroundPool(_ settings: ServerSettings, connections: Int, name: String, logger: Logger) -> PostgresClient {
    PostgresClient(
        configuration: settings.databaseURL.clientConfiguration(
            maximumConnections: connections, statementTimeout: .seconds(15), startupParameters: [("synchronous_commit", "off")],
            applicationName: name),
        backgroundLogger: logger)
}
