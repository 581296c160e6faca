import NIOCore
import NIOPosix
import Synchronization

/// Thrown when an operation did not finish within its time limit.
struct DeadlineExceeded: Error {}

/// Runs `operation`, answering after `limit` at the latest. The caller is resumed when the limit passes even if
/// the operation ignores cancellation: a task group would wait for it, and a database call stuck on a connection the
/// server dropped (decision 0013) would then hold the request, and a shutdown, forever. The operation is cancelled and
/// left to end on its own; the database's statement timeout and the connection's end bound how long it lingers.
func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = Race<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            let work = Task {
                do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
            }
            // A timer on an event loop rather than a sleeping task: every request has one, and it costs no task.
            let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(limit)) {
                race.finish(.failure(DeadlineExceeded()))
            }
            race.whenFinished {
                work.cancel()
                timer.cancel()
            }
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The first result of a race resumes the waiting caller; later ones are dropped.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var cleanup: (@Sendable () -> Void)?
        var finished = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if state.finished { return state.result }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// Runs `cleanup` once the race is over (at once, if it already is).
    func whenFinished(_ cleanup: @escaping @Sendable () -> Void) {
        let over = state.withLock { state -> Bool in
            if state.finished { return true }
            state.cleanup = cleanup
            return false
        }
        if over { cleanup() }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, cleanup) = state.withLock { state -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
            guard !state.finished else { return (nil, nil) }
            state.finished = true
            state.result = result
            defer {
                state.continuation = nil
                state.cleanup = nil
            }
            return (state.continuation, state.cleanup)
        }
        continuation?.resume(with: result)
        cleanup?()
    }
}
