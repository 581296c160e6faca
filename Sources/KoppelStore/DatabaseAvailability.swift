import PostgresNIO

/// Tells a database that is unreachable or overloaded (try again later) from a query that is wrong (our bug).
public enum DatabaseAvailability {
    public static func isUnavailable(_ error: any Error) -> Bool {
        if let error = error as? PSQLError {
            let failures: [PSQLError.Code] = [
                .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown,
            ]
            return failures.contains(error.code)
        }
        // The pool's own error type lives in an underscored module PostgresNIO does not re-export;
        // it is thrown when connections cannot be made (the circuit breaker) or the pool is shut down.
        return String(reflecting: type(of: error)).hasSuffix(".ConnectionPoolError")
    }
}
