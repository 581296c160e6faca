import ArgumentParser
import Hummingbird
import KoppelServer
import Logging
import ServiceLifecycle
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the web pages and the API.",
        discussion: "Each setting can also be given by its environment variable; a flag wins over the environment."
    )

    @Option(name: .customLong("http-host"), help: help(Settings.host)) var httpHost: String?
    @Option(name: .customLong("http-port"), help: help(Settings.port)) var httpPort: String?
    @Option(name: .customLong("http-request-timeout"), help: help(Settings.requestTimeout)) var requestTimeout: String?
    @Option(name: .customLong("http-drain-seconds"), help: help(Settings.drain)) var drainSeconds: String?
    @Option(name: .customLong("session-idle-minutes"), help: help(Settings.sessionIdle)) var sessionIdle: String?
    @Option(name: .customLong("session-absolute-hours"), help: help(Settings.sessionAbsolute)) var sessionAbsolute: String?
    @Option(name: .customLong("database-url"), help: help(Settings.databaseURL)) var databaseURL: String?
    @Option(name: .customLong("vault-database-url"), help: help(Settings.vaultDatabaseURL)) var vaultDatabaseURL: String?
    @Option(name: .customLong("vault-key-file"), help: help(Settings.keyFile)) var keyFile: String?
    @Option(name: .customLong("vault-erasure-ledger"), help: help(Settings.erasureLedger)) var erasureLedger: String?
    @Option(name: .customLong("retention-interval-hours"), help: help(Settings.retentionInterval)) var retentionInterval: String?
    @Option(name: .customLong("http-trusted-proxies"), help: help(Settings.trustedProxies)) var trustedProxies: String?
    @Option(name: .customLong("http-rate-limit"), help: help(Settings.rateLimit)) var rateLimit: String?
    @Option(name: .customLong("webhooks-deliveries"), help: help(Settings.webhookDeliveries)) var webhookDeliveries: String?
    @Option(name: .customLong("webhooks-allow-http"), help: help(Settings.webhookAllowHTTP)) var webhookAllowHTTP: String?
    @Option(name: .customLong("webhooks-allow-private-addresses"), help: help(Settings.webhookAllowPrivate)) var webhookAllowPrivate: String?
    @Option(name: .customLong("notices-worker"), help: help(Settings.noticeWorker)) var noticeWorker: String?
    @Option(name: .customLong("smtp-url"), help: help(Settings.smtpURL)) var smtpURL: String?
    @Option(name: .customLong("smtp-ca-file"), help: help(Settings.smtpCAFile)) var smtpCAFile: String?
    @Option(name: .customLong("mail-from"), help: help(Settings.mailFrom)) var mailFrom: String?
    @Option(name: .customLong("http-public-url"), help: help(Settings.publicURL)) var publicURL: String?
    @Option(name: .customLong("statistics-threshold"), help: help(Settings.statisticsThreshold)) var statisticsThreshold: String?
    @Option(name: .customLong("database-pool-size"), help: help(Settings.databasePoolSize)) var databasePoolSize: String?
    @Option(name: .customLong("schema-dir"), help: help(Settings.schemaDirectory)) var schemaDirectory: String?
    @Option(name: .customLong("log-level"), help: help(Settings.logLevel)) var logLevel: String?
    @Option(name: .customLong("log-format"), help: help(Settings.logFormat)) var logFormat: String?
    @Option(name: .customLong("metrics-port"), help: help(Settings.metricsPort)) var metricsPort: String?
    @Option(name: .customLong("metrics-host"), help: help(Settings.metricsHost)) var metricsHost: String?
    @Option(name: .customLong("tracing-otlp-endpoint"), help: help(Settings.traceEndpoint)) var traceEndpoint: String?

    static func help(_ setting: SettingDescription) -> ArgumentHelp {
        let origin = setting.defaultValue.map { "default: \($0)" } ?? "required"
        return ArgumentHelp("\(setting.help) [env: \(setting.environmentVariable); \(origin)]", valueName: "value")
    }

    func run() async throws {
        let flags: [String: String?] = [
            Settings.host.key: httpHost, Settings.port.key: httpPort, Settings.requestTimeout.key: requestTimeout, Settings.drain.key: drainSeconds,
            Settings.sessionIdle.key: sessionIdle, Settings.sessionAbsolute.key: sessionAbsolute, Settings.databaseURL.key: databaseURL,
            Settings.vaultDatabaseURL.key: vaultDatabaseURL, Settings.keyFile.key: keyFile, Settings.erasureLedger.key: erasureLedger, Settings.retentionInterval.key: retentionInterval,
            Settings.statisticsThreshold.key: statisticsThreshold,
            Settings.trustedProxies.key: trustedProxies, Settings.rateLimit.key: rateLimit,
            Settings.webhookDeliveries.key: webhookDeliveries, Settings.webhookAllowHTTP.key: webhookAllowHTTP,
            Settings.webhookAllowPrivate.key: webhookAllowPrivate, Settings.noticeWorker.key: noticeWorker, Settings.smtpURL.key: smtpURL, Settings.smtpCAFile.key: smtpCAFile,
            Settings.mailFrom.key: mailFrom, Settings.publicURL.key: publicURL,
            Settings.databasePoolSize.key: databasePoolSize, Settings.schemaDirectory.key: schemaDirectory,
            Settings.logLevel.key: logLevel, Settings.logFormat.key: logFormat,
            Settings.metricsPort.key: metricsPort, Settings.metricsHost.key: metricsHost, Settings.traceEndpoint.key: traceEndpoint,
        ]
        let settings: ServerSettings
        do {
            settings = try ServerSettings(reader: Settings.reader(flags: flags.compactMapValues { $0 }))
        } catch {
            throw ValidationError(error.description)
        }
        LogSetup.bootstrap(format: settings.logFormat, level: settings.logLevel)
        let logger = Logger(label: "koppel")
        // Before the application is built, so that its spans are the installed tracer's.
        let traces = try settings.traceEndpoint.map { try TraceExport.bootstrap(endpoint: $0, logger: logger) }
        let draining = DrainState()
        let app = try await buildApplication(settings: settings, draining: draining)
        // The last service is shut down first: the drain, then the application, then the export of the last spans.
        let drain = DrainService(state: draining, delay: .seconds(settings.drainSeconds), logger: logger)
        // Tracing that stops (a collector gone for good) must not stop the service it watches.
        let export = traces.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore)] } ?? []
        var group = ServiceGroupConfiguration(
            services: export + [.init(service: app), .init(service: drain)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A shutdown ends within its bound even when something does not finish gracefully (a database call the driver
        // lost, decision 0013): after the drain, requests get the request timeout to finish, then what is left is cancelled.
        group.maximumGracefulShutdownDuration = .seconds(settings.drainSeconds + settings.requestTimeoutSeconds)
        group.maximumCancellationDuration = .seconds(5)
        do {
            try await ServiceGroup(configuration: group).run()
        } catch is CancellationError {
            logger.warning("shutdown had to cancel what did not finish in time")
        }
    }
}
