import Foundation
import KoppelCore
import KoppelStore
import Logging
import ServiceLifecycle

/// Runs the retention task on a schedule inside the server: expires consents past their last day (withdrawing
/// the referrals that relied on them) and erases identities past their programmes' retention periods. Every
/// replica may run it; each step locks what it changes and skips what another replica holds, so runs do not clash.
struct RetentionService: Service {
    let privacy: Privacy
    let interval: Duration
    let clock: WallClock
    let logger: Logger
    static let runLimit: Duration = .seconds(600)

    /// Ends quietly at shutdown: a stop while waiting for the next run is no failure.
    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await Task.sleep(for: .seconds(60))
                while true {
                    do {
                        // A run a lost database call (decision 0013) holds is left behind at its limit, and at shutdown at once.
                        let (expired, erased) = try await withDeadline(Self.runLimit) { [clock, privacy] in
                            try await WallClock.$current.withValue(clock) { try await privacy.runRetention() }
                        }
                        logger.info("retention run done", metadata: ["consents_expired": "\(expired)", "identities_erased": "\(erased)"])
                    } catch is CancellationError {
                        return
                    } catch {
                        logger.error(
                            "retention run failed; trying again at the next interval", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                    }
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            return
        }
    }
}
