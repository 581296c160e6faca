import Foundation
import Logging
import PostgresNIO

/// A statement every API request or referral step runs: PostgreSQL parses and plans it once per connection and
/// then only executes it (PostgresNIO prepares it on first use), where a plain query is parsed and planned anew
/// each time, row-level security included. Its SQL names its parameters `$1`, `$2`, … in the order `binds` appends
/// them, and lists its columns: a migration that adds a column then leaves the prepared statement's result alone.
protocol PreparedStatement: PostgresPreparedStatement where Row == PostgresRow {
    func makeBindings() throws -> PostgresBindings
}

extension PreparedStatement {
    static var name: String { "koppel.\(Self.self)" }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// A prepared statement with a single parameter, `$1`.
protocol SingleParameterStatement: PreparedStatement {
    associatedtype Parameter: PostgresDynamicTypeEncodable
    var parameter: Parameter { get }
}

extension SingleParameterStatement {
    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(parameter)
        return binds
    }
}

/// A statement given an API token's settings and then one referral's id (a `…_for_token` function of one referral).
protocol TokenAndReferralStatement: PreparedStatement {
    var token: TokenSettings { get }
    var id: UUID { get }
}

extension TokenAndReferralStatement {
    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        token.append(to: &binds)
        binds.append(id)
        return binds
    }
}

extension PostgresConnection {
    /// The rows of a prepared statement, all read.
    func rows<Statement: PreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [PostgresRow] {
        try await execute(statement, logger: logger).reduce(into: []) { $0.append($1) }
    }
}

extension PostgresClient {
    /// The rows of a prepared statement run on its own, outside a transaction.
    func rows<Statement: PreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [PostgresRow] {
        try await execute(statement, logger: logger).reduce(into: []) { $0.append($1) }
    }
}
