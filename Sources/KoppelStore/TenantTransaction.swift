import Foundation
import KoppelCore
import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` in a transaction acting for one organisation (and user, if any): row-level security then
    /// shows and accepts only that organisation's rows. Set per transaction (`set_config(…, true)`), never per
    /// connection, so a pooled connection carries nothing into the next request.
    /// An error the body throws (a store's own, such as `ReferralError`) rolls the transaction back and reaches the
    /// caller as itself, not wrapped in a transaction error.
    ///
    /// `settingTenantInFirstStatement`: the body's first statement sets the tenant itself (one of schema 0025's `…_as`
    /// functions, given `TenantSettings`), which saves a round trip. Until it has, row-level security shows nothing.
    public func withTenantTransaction<T: Sendable>(
        organisation: UUID, user: UUID? = nil, settingTenantInFirstStatement: Bool = false, logger: Logger,
        _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> sending T {
        try await withTenantTransactionSetByFirstStatement(logger: logger) { connection in
            if !settingTenantInFirstStatement {
                try await connection.setActingTenant(organisation: organisation, user: user, logger: logger)
            }
            return try await body(connection)
        }
    }

    /// A transaction whose first statement finds out who acts and sets the tenant itself (a `…_for_token` function
    /// of schema 0030, decision 0027): until it has, row-level security shows nothing.
    public func withTenantTransactionSetByFirstStatement<T: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> sending T
    ) async throws -> sending T {
        let asked = ContinuousClock.now
        return try await unwrappingBodyErrors {
            try await withTransaction(logger: logger) { connection in
                Measurements.current.waitedForConnection(ContinuousClock.now - asked, transaction: "tenant")
                return try await body(connection)
            }
        }
    }
}

/// The body's own error when the transaction failed because of it and was rolled back; the transaction error otherwise.
func unwrappingBodyErrors<T>(_ transaction: () async throws -> sending T) async throws -> sending T {
    do {
        return try await transaction()
    } catch let error as PostgresTransactionError {
        if let cause = error.closureError, error.rollbackError == nil { throw cause }
        throw error
    }
}

extension PostgresClient {
    /// A transaction on the task's clock (`WallClock.current`), for work that acts for no organisation (the vault).
    public func withClockedTransaction<T: Sendable>(logger: Logger, _ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        let asked = ContinuousClock.now
        return try await unwrappingBodyErrors {
            try await withTransaction(logger: logger) { connection in
                Measurements.current.waitedForConnection(ContinuousClock.now - asked, transaction: "clocked")
                _ = try await connection.rows(ClockSetting(), logger: logger)
                return try await body(connection)
            }
        }
    }
}

extension PostgresClient {
    /// One statement that sets the tenant itself (a `…_as` function of schema 0025), with no transaction block: its
    /// settings end with it. The wait for its connection is measured as a `statement`.
    func rowsSettingTenant<Statement: PreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [PostgresRow] {
        try await withStatements(logger: logger) { connection in try await connection.rows(statement, logger: logger) }
    }

    /// One connection for statements that each set the tenant themselves, with no transaction block: each is atomic on
    /// its own, and nothing one sets outlives it (decision 0029). The wait for the connection is measured as a `statement`.
    func withStatements<T: Sendable>(logger: Logger, _ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        let asked = ContinuousClock.now
        return try await withConnection { connection in
            Measurements.current.waitedForConnection(ContinuousClock.now - asked, transaction: "statement")
            return try await body(connection)
        }
    }
}

extension PostgresConnection {
    /// Sets the acting organisation and user, and the time, for the rest of the current transaction.
    public func setActingTenant(organisation: UUID, user: UUID?, logger: Logger) async throws {
        _ = try await rows(ActingTenant(tenant: TenantSettings(organisation: organisation, user: user)), logger: logger)
    }
}

/// The time of `WallClock.current` as `koppel.now` holds it: seconds since 1970 to the microsecond. `koppel_now()`
/// reads it, so the database stamps and compares with the application's clock (decision 0014).
func clockSetting() -> String {
    clockSetting(WallClock.current.now())
}

/// Without `String(format:)`, which every transaction would pay for in C's `printf`.
func clockSetting(_ time: Date) -> String {
    let microseconds = Int64((time.timeIntervalSince1970 * 1_000_000).rounded())
    let (seconds, fraction) = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
    let digits = String(abs(fraction))
    return "\(microseconds < 0 && seconds == 0 ? "-" : "")\(seconds).\(String(repeating: "0", count: 6 - digits.count))\(digits)"
}

/// The W3C `traceparent` of the request a transaction serves: the events it writes to the outbox carry it on to their
/// webhook deliveries (schema 0024). The request sets it; background work has none.
public enum RequestTrace {
    @TaskLocal public static var traceparent: String?
}

/// What a tenant transaction acts with: the organisation and user, the task's clock and the request's trace. The first
/// four parameters of `act_as` and of every `…_as` function (schema 0025).
struct TenantSettings {
    let organisation: UUID
    let user: UUID?

    init(organisation: UUID, user: UUID?) {
        self.organisation = organisation
        self.user = user
    }

    init(_ actor: Actor) {
        self.init(organisation: actor.organisationID, user: actor.userID)
    }

    func append(to binds: inout PostgresBindings) {
        binds.append(organisation.uuidString)
        binds.append(user?.uuidString ?? "")
        binds.append(clockSetting())
        binds.append(RequestTrace.traceparent ?? "")
    }
}

/// What a statement that checks an API token and then acts for its account is given first (a `…_for_token` function,
/// decisions 0026 and 0027): the token's hash, the task's clock and the request's trace. The account's columns come
/// last in its answer, in the shape of `auth.api_token_account`.
struct TokenSettings {
    static let accountColumns = 11
    let hash: ByteBuffer
    /// The task's clock when made: statements given the same settings act at one instant, as in one transaction.
    let now: String

    init(_ token: SecretToken) {
        hash = token.hash
        now = clockSetting()
    }

    func append(to binds: inout PostgresBindings) {
        binds.append(hash)
        binds.append(now)
        binds.append(RequestTrace.traceparent ?? "")
    }

    /// The account in the last columns of such a statement's row.
    static func account(in row: PostgresRandomAccessRow) throws -> Account {
        try UserStore.account(from: row, at: row.count - accountColumns)
    }
}

/// Every tenant transaction begins with it, unless its first statement sets the tenant itself.
private struct ActingTenant: PreparedStatement {
    static let sql = """
        SELECT set_config('koppel.organisation_id', $1, true), set_config('koppel.user_id', $2, true), set_config('koppel.now', $3, true),
            set_config('koppel.traceparent', $4, true)
        """
    let tenant: TenantSettings

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        tenant.append(to: &binds)
        return binds
    }
}

/// Every other transaction begins with it.
private struct ClockSetting: PreparedStatement {
    static let sql = "SELECT set_config('koppel.now', $1, true), set_config('koppel.traceparent', $2, true)"

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(clockSetting())
        binds.append(RequestTrace.traceparent ?? "")
        return binds
    }
}
