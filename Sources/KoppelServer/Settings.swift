import Configuration
import Foundation
import KoppelCore
import KoppelStore
import Logging

/// One setting of `koppel serve`: its configuration key, environment variable, flag and help.
/// `ServeCommand` declares a flag for each; a test checks none is missing from `koppel serve --help`.
public struct SettingDescription: Sendable {
    /// The key below `koppel.`, for example `database.url`.
    public let key: String
    public let help: String
    public let defaultValue: String?
    public let isSecret: Bool

    /// `KOPPEL_DATABASE_URL` for `database.url`.
    public var environmentVariable: String {
        "KOPPEL_" + key.uppercased().replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    /// `--database-url` for `database.url`.
    public var flag: String { "--" + key.replacingOccurrences(of: ".", with: "-") }
}

/// Every setting of the server, with its default. The one list the CLI, the docs and the reader share.
public enum Settings {
    public static let host = SettingDescription(
        key: "http.host", help: "Address to listen on.", defaultValue: "127.0.0.1", isSecret: false)
    public static let port = SettingDescription(
        key: "http.port", help: "Port to listen on.", defaultValue: "8080", isSecret: false)
    public static let requestTimeout = SettingDescription(
        key: "http.request-timeout", help: "Seconds a request may take before it is answered with 503.", defaultValue: "10",
        isSecret: false)
    public static let drain = SettingDescription(
        key: "http.drain-seconds",
        help: "Seconds between SIGTERM and closing the listener, while /readyz answers 503 and requests are still served: give a load balancer that polls /readyz the time to stop sending (its interval times its failures). 0: close at once.",
        defaultValue: "0", isSecret: false)
    public static let trustedProxies = SettingDescription(
        key: "http.trusted-proxies",
        help: "Load balancers in front of this server (addresses or ranges, comma-separated, such as 10.0.0.0/8): only their X-Forwarded-For names the client. Empty: the header is ignored.",
        defaultValue: "", isSecret: false)
    public static let rateLimit = SettingDescription(
        key: "http.rate-limit",
        help: "Requests per minute one API token or signed-in user (or, signed out, one client address) may make to this replica before 429; sign-in forms are held to 20 a minute per address. 0 turns both off.",
        defaultValue: "600", isSecret: false)
    public static let sessionIdle = SettingDescription(
        key: "session.idle-minutes", help: "Minutes without a request after which a session ends.", defaultValue: "30", isSecret: false)
    public static let sessionAbsolute = SettingDescription(
        key: "session.absolute-hours", help: "Hours after sign-in after which a session ends, used or not.", defaultValue: "12",
        isSecret: false)
    public static let databaseURL = SettingDescription(
        key: "database.url",
        help: "PostgreSQL URL the server connects with, as the app role: postgres://koppel_app:PASSWORD@HOST:PORT/DATABASE[?sslmode=require].",
        defaultValue: nil, isSecret: true)
    public static let vaultDatabaseURL = SettingDescription(
        key: "vault.database-url",
        help: "PostgreSQL URL for identifying data, as the vault role: postgres://koppel_vault:PASSWORD@HOST:PORT/DATABASE.",
        defaultValue: nil, isSecret: true)
    public static let keyFile = SettingDescription(
        key: "vault.key-file", help: "The vault's key file (master keys and blind-index key; never in PostgreSQL). Make one with `koppel keys init`.",
        defaultValue: nil, isSecret: false)
    public static let erasureLedger = SettingDescription(
        key: "vault.erasure-ledger",
        help: "The erasure ledger: ids of erased clients, kept with the key file and never in PostgreSQL, so a restored backup cannot bring one back. Every replica appends to the same file. Default: the key file's path with .erasures added.",
        defaultValue: nil, isSecret: false)
    public static let retentionInterval = SettingDescription(
        key: "retention.interval-hours", help: "Hours between runs of the retention task (expire consents, erase identities past retention); 0 turns it off.",
        defaultValue: "24", isSecret: false)
    public static let statisticsThreshold = SettingDescription(
        key: "statistics.threshold", help: "Funders' figures withhold counts from 1 up to this number minus one (shown as <N).",
        defaultValue: "5", isSecret: false)
    public static let webhookDeliveries = SettingDescription(
        key: "webhooks.deliveries", help: "Webhook deliveries this replica sends at once; 0 leaves sending to other replicas.",
        defaultValue: "8", isSecret: false)
    public static let webhookAllowHTTP = SettingDescription(
        key: "webhooks.allow-http", help: "Whether webhook endpoints may be plain http:// (a receiver on the test machine); otherwise https:// only.",
        defaultValue: "false", isSecret: false)
    public static let webhookAllowPrivate = SettingDescription(
        key: "webhooks.allow-private-addresses",
        help: "Whether webhook endpoints may resolve to loopback, private or link-local addresses (a receiver on the test machine).",
        defaultValue: "false", isSecret: false)
    public static let noticeWorker = SettingDescription(
        key: "notices.worker",
        help: "Whether this replica makes notices, marks late referrals and sends notices' mail; false leaves that to other replicas.",
        defaultValue: "true", isSecret: false)
    public static let smtpURL = SettingDescription(
        key: "smtp.url",
        help: "Mail server for notices: smtp://USER:PASSWORD@HOST:587 (STARTTLS) or smtps://USER:PASSWORD@HOST:465 (TLS). Empty: notices are shown in Koppel only.",
        defaultValue: nil, isSecret: true)
    public static let smtpCAFile = SettingDescription(
        key: "smtp.ca-file", help: "PEM file of the certificate authorities to trust for the mail server; empty: the system's.",
        defaultValue: nil, isSecret: false)
    public static let mailFrom = SettingDescription(
        key: "mail.from", help: "Sender of notices' e-mail, an address or `Name <address>`.", defaultValue: "Koppel <koppel@localhost>",
        isSecret: false)
    public static let publicURL = SettingDescription(
        key: "http.public-url", help: "Koppel's address as its users reach it, for links in e-mail (such as https://koppel.example.nl).",
        defaultValue: "http://127.0.0.1:8080", isSecret: false)
    public static let databasePoolSize = SettingDescription(
        key: "database.pool-size", help: "Most connections this replica opens to PostgreSQL.", defaultValue: "10", isSecret: false)
    public static let schemaDirectory = SettingDescription(
        key: "schema.dir", help: "Folder with the SQL migrations; the server is ready only when all are applied.",
        defaultValue: "schema", isSecret: false)
    public static let logLevel = SettingDescription(
        key: "log.level", help: "trace, debug, info, notice, warning, error or critical.", defaultValue: "info", isSecret: false)
    public static let logFormat = SettingDescription(
        key: "log.format", help: "json (one object a line) or text.", defaultValue: "json", isSecret: false)

    public static let metricsPort = SettingDescription(
        key: "metrics.port", help: "Port of the Prometheus /metrics listener, apart from the public one; 0 serves no metrics.",
        defaultValue: "0", isSecret: false)
    public static let metricsHost = SettingDescription(
        key: "metrics.host", help: "Address the /metrics listener binds to: only monitoring's network should reach it.",
        defaultValue: "127.0.0.1", isSecret: false)
    public static let traceEndpoint = SettingDescription(
        key: "tracing.otlp-endpoint",
        help: "OpenTelemetry: the OTLP/HTTP address spans are sent to, used as given (such as http://collector:4318/v1/traces); empty sends none.",
        defaultValue: "", isSecret: false)

    public static let all: [SettingDescription] = [
        host, port, requestTimeout, drain, trustedProxies, rateLimit, sessionIdle, sessionAbsolute, databaseURL, vaultDatabaseURL, keyFile, erasureLedger, retentionInterval, statisticsThreshold,
        webhookDeliveries, webhookAllowHTTP, webhookAllowPrivate, noticeWorker, smtpURL, smtpCAFile, mailFrom, publicURL, databasePoolSize,
        schemaDirectory, logLevel, logFormat, metricsPort, metricsHost, traceEndpoint,
    ]

    /// Reads settings from flags given on the command line, then the environment.
    public static func reader(flags: [String: String], environment: [String: String] = ProcessInfo.processInfo.environment) -> ConfigReader {
        let secrets = Set(all.filter(\.isSecret).map(\.environmentVariable))
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in flags {
            let isSecret = all.first { $0.key == key }?.isSecret ?? false
            values[AbsoluteConfigKey(configKey(key).components)] = ConfigValue(.string(value), isSecret: isSecret)
        }
        return ConfigReader(providers: [
            InMemoryProvider(name: "flags", values: values),
            EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: .specific(secrets)),
        ])
    }

    static func configKey(_ key: String) -> ConfigKey {
        ConfigKey(["koppel"] + key.split(separator: ".").map(String.init))
    }
}

/// The server's settings, read and checked.
public struct ServerSettings: Sendable {
    public enum LogFormat: String, Sendable { case json, text }

    public var host: String
    public var port: Int
    public var requestTimeoutSeconds: Int
    /// Seconds readiness says "shutting down" before the listener closes.
    public var drainSeconds = 0
    public var trustedProxies: TrustedProxies
    /// Requests per minute per caller; 0 turns rate limits off.
    public var rateLimitPerMinute: Int
    public var sessionIdleMinutes: Int
    public var sessionAbsoluteHours: Int
    public var databaseURL: DatabaseURL
    public var vaultDatabaseURL: DatabaseURL
    public var keyFile: String
    /// nil: beside the key file (`KeyRing.defaultErasureLedger`).
    public var erasureLedger: String?
    public var retentionIntervalHours: Int
    public var statisticsThreshold: Int
    public var databasePoolSize: Int
    public var schemaDirectory: String
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// Webhook deliveries sent at once by this replica (0: none), and what endpoints may be.
    public var webhookDeliveries: Int = 8
    public var webhookPolicy: WebhookEndpointPolicy = .init()
    /// Where notices' e-mail goes (nil: notices in Koppel only), from whom, and the address links point to.
    public var mail: MailSettings?
    public var noticeWorker = true
    /// How long readiness waits for PostgreSQL's answer before it says 503. Tests on a machine busy with every suite
    /// at once give it longer, as they do requests.
    public var readinessTimeout: Duration = .seconds(2)
    public var publicURL: String = "http://127.0.0.1:8080"
    /// The time for every request and background task; tests give one they move (decision 0014).
    public var clock: WallClock = .system
    /// Where `/metrics` listens (port 0: nowhere).
    public var metricsHost = "127.0.0.1"
    public var metricsPort = 0
    /// Where spans are exported (OTLP/HTTP); nil: none are.
    public var traceEndpoint: String?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, requestTimeoutSeconds: Int = 10, trustedProxies: TrustedProxies = .none,
        rateLimitPerMinute: Int = 600, sessionIdleMinutes: Int = 30,
        sessionAbsoluteHours: Int = 12, databaseURL: DatabaseURL, vaultDatabaseURL: DatabaseURL, keyFile: String,
        retentionIntervalHours: Int = 24, statisticsThreshold: Int = 5, databasePoolSize: Int = 10,
        schemaDirectory: String, logLevel: Logger.Level = .info, logFormat: LogFormat = .text, clock: WallClock = .system
    ) {
        self.clock = clock
        self.host = host
        self.port = port
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.trustedProxies = trustedProxies
        self.rateLimitPerMinute = rateLimitPerMinute
        self.sessionIdleMinutes = sessionIdleMinutes
        self.sessionAbsoluteHours = sessionAbsoluteHours
        self.databaseURL = databaseURL
        self.vaultDatabaseURL = vaultDatabaseURL
        self.keyFile = keyFile
        self.retentionIntervalHours = retentionIntervalHours
        self.statisticsThreshold = statisticsThreshold
        self.databasePoolSize = databasePoolSize
        self.schemaDirectory = schemaDirectory
        self.logLevel = logLevel
        self.logFormat = logFormat
    }

    /// Reads every setting; a missing or malformed one is an error naming the setting and how to set it.
    public init(reader: ConfigReader) throws(SettingsError) {
        func string(_ setting: SettingDescription) -> String? {
            reader.string(forKey: Settings.configKey(setting.key), isSecret: setting.isSecret) ?? setting.defaultValue
        }
        func integer(_ setting: SettingDescription, in range: ClosedRange<Int>) throws(SettingsError) -> Int {
            guard let text = string(setting), let value = Int(text), range.contains(value) else {
                throw SettingsError(setting: setting, problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
        func url(_ setting: SettingDescription) throws(SettingsError) -> DatabaseURL {
            guard let text = string(setting) else { throw SettingsError(setting: setting, problem: "is required") }
            do {
                return try DatabaseURL(text)
            } catch {
                throw SettingsError(setting: setting, problem: "is not usable: \(error)")
            }
        }
        databaseURL = try url(Settings.databaseURL)
        vaultDatabaseURL = try url(Settings.vaultDatabaseURL)
        guard let keyFile = string(Settings.keyFile) else { throw SettingsError(setting: Settings.keyFile, problem: "is required") }
        self.keyFile = keyFile
        erasureLedger = string(Settings.erasureLedger)
        retentionIntervalHours = try integer(Settings.retentionInterval, in: 0...8760)
        statisticsThreshold = try integer(Settings.statisticsThreshold, in: 2...20)
        host = string(Settings.host) ?? "127.0.0.1"
        port = try integer(Settings.port, in: 0...65535)
        requestTimeoutSeconds = try integer(Settings.requestTimeout, in: 3...600)  // above the readiness probe's 2 s
        drainSeconds = try integer(Settings.drain, in: 0...120)
        do {
            trustedProxies = try TrustedProxies(string(Settings.trustedProxies) ?? "")
        } catch {
            throw SettingsError(setting: Settings.trustedProxies, problem: "has '\(error.entry)', which is neither an IP address nor a range such as 10.0.0.0/8")
        }
        rateLimitPerMinute = try integer(Settings.rateLimit, in: 0...1_000_000)
        webhookDeliveries = try integer(Settings.webhookDeliveries, in: 0...256)
        func flag(_ setting: SettingDescription) throws(SettingsError) -> Bool {
            switch string(setting)?.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no", nil: return false
            default: throw SettingsError(setting: setting, problem: "must be true or false")
            }
        }
        webhookPolicy = WebhookEndpointPolicy(allowPlainHTTP: try flag(Settings.webhookAllowHTTP), allowPrivateAddresses: try flag(Settings.webhookAllowPrivate))
        publicURL = try Self.publicURL(string(Settings.publicURL))
        mail = try MailSettings(
            url: string(Settings.smtpURL), caFile: string(Settings.smtpCAFile), from: string(Settings.mailFrom) ?? "koppel@localhost",
            publicURL: publicURL)
        noticeWorker = try flag(Settings.noticeWorker)
        sessionIdleMinutes = try integer(Settings.sessionIdle, in: 1...720)
        sessionAbsoluteHours = try integer(Settings.sessionAbsolute, in: 1...168)
        databasePoolSize = try integer(Settings.databasePoolSize, in: 1...200)
        metricsPort = try integer(Settings.metricsPort, in: 0...65535)
        metricsHost = string(Settings.metricsHost) ?? "127.0.0.1"
        if metricsPort != 0 && metricsPort == port {
            throw SettingsError(setting: Settings.metricsPort, problem: "must differ from \(Settings.port.flag): metrics are never served where the public is")
        }
        traceEndpoint = try Self.traceEndpoint(string(Settings.traceEndpoint))
        schemaDirectory = string(Settings.schemaDirectory) ?? "schema"
        guard let level = string(Settings.logLevel).flatMap(Logger.Level.init(rawValue:)) else {
            throw SettingsError(setting: Settings.logLevel, problem: "must be one of trace, debug, info, notice, warning, error, critical")
        }
        logLevel = level
        guard let format = string(Settings.logFormat).flatMap(LogFormat.init(rawValue:)) else {
            throw SettingsError(setting: Settings.logFormat, problem: "must be json or text")
        }
        logFormat = format
    }
}

extension ServerSettings {
    static func publicURL(_ text: String?) throws(SettingsError) -> String {
        let text = (text ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, url.query == nil else {
            throw SettingsError(setting: Settings.publicURL, problem: "must be an http:// or https:// address such as https://koppel.example.nl")
        }
        return text
    }

    static func traceEndpoint(_ text: String?) throws(SettingsError) -> String? {
        guard let text, !text.isEmpty else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw SettingsError(setting: Settings.traceEndpoint, problem: "must be an http:// or https:// address such as http://collector:4318/v1/traces")
        }
        return text
    }
}

/// A setting that cannot be used, with what to change.
public struct SettingsError: Error, CustomStringConvertible {
    public let setting: SettingDescription
    public let problem: String

    public var description: String {
        "\(setting.flag) (or \(setting.environmentVariable)) \(problem)"
    }
}
