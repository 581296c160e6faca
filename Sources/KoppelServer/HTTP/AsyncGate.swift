import Synchronization

/// At most `width` tasks at a time through a piece of work, the others waiting in turn; a waiter whose task is
/// cancelled (its request's deadline) leaves the queue. Used where one kind of request could otherwise take every
/// database connection (funder statistics), so the rest still get theirs.
final class AsyncGate: Sendable {
    private struct State {
        var running = 0
        var waiting: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID = 0
    }

    let width: Int
    private let state = Mutex(State())

    init(width: Int) {
        self.width = max(1, width)
    }

    func run<T>(_ body: () async throws -> T) async throws -> T {
        try await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // Taking a free place and queueing are one step: a place freed in between is never missed.
                enum Entry { case admitted, queued, cancelled }
                let entry = state.withLock { state -> Entry in
                    if Task.isCancelled { return .cancelled }
                    if state.running < width {
                        state.running += 1
                        return .admitted
                    }
                    state.waiting.append((id, continuation))
                    return .queued
                }
                switch entry {
                case .admitted: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Hands the place to the first waiter, or frees it.
    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst().continuation
        }
        next?.resume()
    }
}
