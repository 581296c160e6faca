import Foundation
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=…` URL, turned into a client configuration.
/// The password never appears in `description`, so a URL can be logged or shown in an error safely.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode

    public init(host: String, port: Int, username: String, password: String?, database: String, tlsMode: TLSMode) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
    }

    /// Parses a URL string; the error says which part is missing or wrong.
    public init(_ string: String) throws(DatabaseURLError) {
        guard let components = URLComponents(string: string) else { throw .notAURL }
        guard components.scheme == "postgres" || components.scheme == "postgresql" else { throw .wrongScheme(components.scheme) }
        guard let host = components.host, !host.isEmpty else { throw .missing("host") }
        guard let user = components.user, !user.isEmpty else { throw .missing("user name") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw .missing("database name") }
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tlsMode: TLSMode =
            switch sslmode {
            case "disable": .disable
            case "allow", "prefer": .prefer
            case "require", "verify-ca", "verify-full": .require
            default: throw .unknownSSLMode(sslmode)
            }
        self.init(
            host: host, port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.removingPercentEncoding ?? database, tlsMode: tlsMode
        )
    }

    /// The same server and credentials, another database (tests make a database per suite).
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The PostgresNIO configuration for this URL. Every session runs in Amsterdam's time zone, Koppel's one notion of a
    /// day. With `statementTimeout`, PostgreSQL itself ends a statement, a lock wait or an idle transaction that
    /// outlives it: a request's database work can then never outlast the request.
    public func clientConfiguration(
        maximumConnections: Int = 10, statementTimeout: Duration? = nil, startupParameters: [(String, String)] = [],
        applicationName: String = "koppel"
    ) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch tlsMode {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", applicationName), ("TimeZone", "Europe/Amsterdam")] + startupParameters
        if let statementTimeout {
            let milliseconds = max(1, Int(statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000))
            configuration.options.additionalStartupParameters += [
                ("statement_timeout", "\(milliseconds)"), ("lock_timeout", "\(min(milliseconds, 5000))"),
                ("idle_in_transaction_session_timeout", "\(milliseconds + 5000)"),
            ]
        }
        return configuration
    }

    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }
}

/// Why a database URL could not be used.
public enum DatabaseURLError: Error, CustomStringConvertible, Equatable {
    case notAURL
    case wrongScheme(String?)
    case missing(String)
    case unknownSSLMode(String)

    public var description: String {
        let shape = "expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"
        return switch self {
        case .notAURL: "the database URL is not a URL; \(shape)"
        case .wrongScheme(let scheme): "the database URL starts with '\(scheme ?? "")://'; \(shape)"
        case .missing(let part): "the database URL has no \(part); \(shape)"
        case .unknownSSLMode(let mode): "the database URL has sslmode=\(mode); use disable, prefer or require"
        }
    }
}
