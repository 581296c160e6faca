import Synchronization

/// Whether this replica is getting answers: requests in flight, and when one last finished without the database
/// failing it. Readiness turns 503 when requests have waited longer than any should (a stuck pool, decision 0013),
/// so a load balancer sends traffic elsewhere while the replica recovers, without restarting it.
public final class ServingProgress: Sendable {
    private struct State {
        var inFlight = 0
        var lastAnswer = ContinuousClock.now
    }

    private let state = Mutex(State())

    public init() {}

    public func begin() {
        state.withLock { state in
            // Waiting starts with the first request after a quiet spell, not at the last answer before it.
            if state.inFlight == 0 { state.lastAnswer = .now }
            state.inFlight += 1
        }
    }

    /// A request ended; `answered` unless the database failed or timed it out (503).
    public func end(answered: Bool) {
        state.withLock { state in
            state.inFlight -= 1
            if answered { state.lastAnswer = .now }
        }
    }

    /// How long requests have been waiting with none answered, if any are waiting.
    public func stalled(now: ContinuousClock.Instant = .now) -> Duration? {
        state.withLock { state in state.inFlight > 0 ? now - state.lastAnswer : nil }
    }
}

/// One request's part in `ServingProgress`: counted from `begin` (once its body is in) to `end`, which the responder
/// calls whatever happened, even when the deadline left the handler running.
final class ProgressWatch: Sendable {
    private let progress: ServingProgress?
    private let begun = Mutex(false)

    init(progress: ServingProgress?) {
        self.progress = progress
    }

    func begin() {
        guard let progress, begun.withLock({ state in defer { state = true }; return !state }) else { return }
        progress.begin()
    }

    func end(answered: Bool) {
        guard let progress, begun.withLock({ state in defer { state = false }; return state }) else { return }
        progress.end(answered: answered)
    }
}
