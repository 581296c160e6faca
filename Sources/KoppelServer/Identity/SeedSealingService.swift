import KoppelCore
import KoppelStore
import Logging
import ServiceLifecycle

/// Seals, once at start-up, every TOTP seed stored in plain text before sealing existed (`SecondFactorSeeds`). Tries
/// again a minute later while the database cannot be reached; then waits for the server's shutdown, as a service that
/// returns would end the whole server.
struct SeedSealingService: Service {
    let seeds: SecondFactorSeeds
    let organisations: OrganisationStore
    let clock: WallClock
    let logger: Logger

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    do {
                        let sealed = try await withDeadline(.seconds(60)) { [clock, seeds, organisations] in
                            try await WallClock.$current.withValue(clock) { try await seeds.sealAllPlain(in: organisations) }
                        }
                        if sealed > 0 { logger.notice("sealed second-factor seeds stored in plain text", metadata: ["seeds": "\(sealed)"]) }
                        break
                    } catch is CancellationError {
                        return
                    } catch {
                        logger.warning("sealing second-factor seeds failed; trying again in a minute", metadata: ["error.type": "\(type(of: error))"])
                        try await Task.sleep(for: .seconds(60))
                    }
                }
            }
            try await gracefulShutdown()
        } catch is CancellationError {
            return
        }
    }
}
