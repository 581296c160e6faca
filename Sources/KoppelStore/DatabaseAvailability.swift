import PostgresNIO

/// Tells a database that is unreachable, restarting, overloaded or too slow (try again later: 503 with
/// `Retry-After`) from a query that is wrong (our bug: 500). Errors inside a transaction are judged by their cause.
public enum DatabaseAvailability {
    public static func isUnavailable(_ error: any Error) -> Bool {
        if let error = error as? PostgresTransactionError {
            return [error.beginError, error.closureError, error.commitError, error.rollbackError]
                .contains { $0.map(isUnavailable) ?? false }
        }
        if let error = error as? PSQLError {
            let failures: [PSQLError.Code] = [
                .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown, .queryCancelled,
            ]
            if failures.contains(error.code) { return true }
            guard error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
            return isUnavailable(sqlState: state)
        }
        // The pool's own error type lives in an underscored module PostgresNIO does not re-export;
        // it is thrown when connections cannot be made (the circuit breaker) or the pool is shut down.
        return String(reflecting: type(of: error)).hasSuffix(".ConnectionPoolError")
    }

    /// SQLSTATEs that say "not now" rather than "never": connection exceptions (class 08), too many connections
    /// (53300), the server shutting down or starting (57P01–57P03), a statement cancelled by its timeout (57014),
    /// a lock or idle timeout (55P03, 25P03), and conflicts a retry resolves (40001, 40P01).
    public static func isUnavailable(sqlState: String) -> Bool {
        sqlState.hasPrefix("08") || sqlState.hasPrefix("57P")
            || ["53300", "53400", "57014", "55P03", "25P03", "40001", "40P01"].contains(sqlState)
    }
}
