import Foundation
import Synchronization

/// Requests per caller (a user, or an address for anonymous callers) within a rate and a burst: the generic cell rate
/// algorithm, one instant per key. Counted in this replica's memory: a lost count only gives a fresh allowance, and a
/// database write per request would queue every request of a busy caller on one row (decision 0015). Sign-in attempts,
/// which must not reset, are counted in PostgreSQL instead.
final class RateLimiter: Sendable {
    /// How many requests a key may make per minute, and how many at once after a quiet spell.
    struct Rate: Sendable {
        let perMinute: Int
        let burst: Int
    }

    enum Verdict: Equatable {
        case allowed
        /// Try again after this many seconds.
        case limited(retryAfter: Int)
    }

    let rate: Rate
    /// Keys held at most; past it, keys whose allowance is full again are forgotten first.
    private let capacity: Int
    private let instants = Mutex<[String: ContinuousClock.Instant]>([:])

    init(_ rate: Rate, capacity: Int = 100_000) {
        self.rate = rate
        self.capacity = capacity
    }

    func admit(_ key: String, now: ContinuousClock.Instant = .now) -> Verdict {
        let interval = Duration.seconds(60) / rate.perMinute
        let tolerance = interval * max(rate.burst - 1, 0)
        return instants.withLock { instants in
            let theoretical = max(instants[key] ?? now, now)
            let allowedAt = theoretical - tolerance
            guard allowedAt <= now else {
                let wait = allowedAt - now
                return .limited(retryAfter: max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0)))
            }
            if instants.count >= capacity { instants = instants.filter { $0.value > now } }
            instants[key] = theoretical + interval
            return .allowed
        }
    }
}
