import Logging
import PostgresNIO

extension PostgresClient {
    /// Runs `body` with a client whose pool is running, then shuts the pool down.
    /// For commands and tests; the server runs its client as a service instead.
    @discardableResult
    public static func withRunningClient<T: Sendable>(
        _ url: DatabaseURL, maximumConnections: Int = 2, logger: Logger,
        _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: maximumConnections), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
