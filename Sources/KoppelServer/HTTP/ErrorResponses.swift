import PostgresNIO
import HTTPTypes
import Hummingbird
import Logging
import OpenAPIRuntime
import KoppelStore
import KoppelUseCases
import NIOCore

/// The one mapping from an error to what the client sees. Bad input is a 4xx with a message that says
/// what to fix; only our own faults are a 500, and those never reveal internals.
enum ErrorResponses {
    static func problem(for error: any Error, logger: Logger) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let failure as Failure:
            return Problem(failure)
        case let error as ServerError:
            return problem(forOpenAPI: error, logger: logger)
        case let error as HTTPError:
            return Problem(status: error.status, detail: error.body ?? error.status.reasonPhrase)
        case is DeadlineExceeded:
            logger.warning("request timed out")
            return .timedOut
        case let error where DatabaseAvailability.isUnavailable(error):
            logger.warning("database unavailable", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
            return .databaseUnavailable
        default:
            logger.error("unhandled error", metadata: Logger.Metadata.describing(error))
            return .internalError
        }
    }

    /// The generated server wraps every error. Input it could not decode is the client's to fix.
    private static func problem(forOpenAPI error: ServerError, logger: Logger) -> Problem {
        if error.operationInput != nil {
            return problem(for: error.underlyingError, logger: logger)
        }
        let status = (400..<500).contains(error.httpStatus.code) ? error.httpStatus : .badRequest
        return Problem(
            status: status,
            detail: "The request could not be read: \(error.causeDescription) Check it against /openapi.yaml.")
    }
}

extension Logger.Metadata {
    /// What may be logged of an unexpected error: its type and, from PostgreSQL, the SQLSTATE and the failing
    /// statement's position in the code, never the server's message (it may quote values).
    static func describing(_ error: any Error) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["error.type": "\(String(reflecting: type(of: error)))"]
        let database = (error as? PostgresTransactionError)?.closureError ?? error
        if let error = database as? PSQLError {
            metadata["db.sqlstate"] = "\(error.serverInfo?[.sqlState] ?? "none")"
            metadata["db.code"] = "\(error.code)"
            metadata["db.routine"] = "\(error.serverInfo?[.routine] ?? "")"
        } else if let wrapped = error as? PostgresTransactionError, let cause = wrapped.closureError {
            metadata["error.cause"] = "\(String(reflecting: type(of: cause)))"
        }
        return metadata
    }
}
