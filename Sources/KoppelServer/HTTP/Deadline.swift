/// Thrown when an operation did not finish within its time limit.
struct DeadlineExceeded: Error {}

/// Runs `operation`, giving up after `limit`. Callers get an answer even when PostgreSQL is gone:
/// a pool waiting for a connection that cannot be made would otherwise wait for a long time.
func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DeadlineExceeded()
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw DeadlineExceeded() }
        return first
    }
}
