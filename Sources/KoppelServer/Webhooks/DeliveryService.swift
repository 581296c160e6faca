import Foundation
import KoppelCore
import KoppelStore
import Logging
import ServiceLifecycle
import Synchronization

/// Sends webhooks from the outbox, in every replica that has deliveries to spare (decision 0016). Each turn records
/// the sends finished since the last (in one statement), hands new outbox rows to the subscriptions that want them,
/// then claims as many due deliveries as it has free places (`width`) and sends each in a task of its own, so one slow
/// receiver holds one place, not the others. Turns follow at once while there is work, as soon as a send ends when
/// every place is taken, and every `idle` when there is none; now and then it prunes what is over. At shutdown it stops
/// claiming and lets the sends in flight finish (each is bounded by the 15 s timeout); anything claimed and not
/// recorded is claimed again after its lease, by any replica.
struct DeliveryService: Service {
    let queue: DeliveryQueue
    let sender: WebhookSender
    let width: Int
    let clock: WallClock
    let measurements: Measurements
    let logger: Logger
    /// How long a claimed delivery is this replica's: longer than a try can take (15 s) and its recording.
    static let lease: Duration = .seconds(30)
    static let idle: Duration = .milliseconds(100)
    /// Longer than the deliveries' pool lets a statement run (15 s).
    static let databaseLimit: Duration = .seconds(20)
    static let pruneEvery: Duration = .seconds(3600)
    static let fanOutBatch = 500

    func run() async throws {
        let sending = Sending()
        await withDiscardingTaskGroup { group in
            // The loop waits for a send to end or for this tick, whichever comes first.
            group.addTask {
                while !sending.stopped.load(ordering: .acquiring) {
                    try? await Task.sleep(for: Self.idle)
                    sending.wake()
                }
            }
            var lastPrune = ContinuousClock.now - Self.pruneEvery
            var woken = sending.wakes.makeAsyncIterator()
            var fanOut = FanOutPace()
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let busy = await WallClock.$current.withValue(clock) { await turn(sending: sending, fanOut: &fanOut, group: &group) }
                if ContinuousClock.now - lastPrune >= Self.pruneEvery {
                    lastPrune = .now
                    await WallClock.$current.withValue(clock) { await prune() }
                }
                if !busy || sending.count.load(ordering: .acquiring) >= width {
                    _ = await woken.next()
                }
            }
            sending.stopped.store(true, ordering: .releasing)
        }
        // The sends that were in flight have ended: record them, or another replica sends them again after their lease.
        await WallClock.$current.withValue(clock) {
            do { try await database { [queue, finished = sending.takeFinished()] in try await queue.record(finished) } } catch {
                logger.warning("recording webhook deliveries failed; they are sent again after their lease", metadata: Self.metadata(error))
            }
        }
        await sender.shutdown()
    }

    /// One turn; whether it found work (then the next follows at once).
    private func turn(sending: Sending, fanOut: inout FanOutPace, group: inout DiscardingTaskGroup) async -> Bool {
        do {
            // What was sent since the last turn, recorded in one statement; a delivery sent and not yet recorded
            // stays leased, so its referral's next event waits for it.
            let finished = sending.takeFinished()
            do {
                try await database { [queue] in try await queue.record(finished) }
            } catch {
                logger.warning("recording webhook deliveries failed; they are sent again after their lease", metadata: Self.metadata(error))
            }
            var handed = 0
            if fanOut.isDue {
                handed = try await database { [queue] in try await queue.fanOut(limit: Self.fanOutBatch) }
                fanOut.handed(handed, of: Self.fanOutBatch)
            }
            let free = width - sending.count.load(ordering: .acquiring)
            guard free > 0 else { return handed > 0 || !finished.isEmpty }
            let claimed = try await database { [queue] in try await queue.claim(limit: free, lease: Self.lease) }
            for delivery in claimed {
                sending.count.add(1, ordering: .relaxed)
                group.addTask { [clock, sender, measurements] in
                    let outcome = await sender.send(delivery, now: clock.now())
                    measurements.deliveryTried(result: outcome.result)
                    sending.finished(delivery, outcome)
                }
            }
            return handed > 0 || !claimed.isEmpty || !finished.isEmpty
        } catch is CancellationError {
            return false
        } catch {
            logger.warning("webhook deliveries paused a moment", metadata: Self.metadata(error))
            return false
        }
    }

    private func prune() async {
        do { try await database { [queue] in try await queue.prune() } } catch { logger.warning("pruning webhook deliveries failed", metadata: Self.metadata(error)) }
    }

    /// Each database call races `databaseLimit` and ends at once when cancelled: a call the driver lost after
    /// PostgreSQL restarted (decision 0013) would otherwise stop this replica's deliveries, and its shutdown, for good.
    private func database<T: Sendable>(_ call: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withDeadline(Self.databaseLimit, call)
    }

    private static func metadata(_ error: any Error) -> Logger.Metadata { .describing(error) }
}

extension DeliveryOutcome {
    /// For metrics: `delivered` (2xx), the status's class (`http_4xx`), or why no answer came (`timeout`, …).
    var result: String {
        if let status = httpStatus { return (200..<300).contains(status) ? "delivered" : "http_\(status / 100)xx" }
        return errorClass ?? "failed"
    }
}

/// When to hand new outbox rows on: at once again while they come in full batches, otherwise at most every 20 ms, so a
/// turn that only fills a freed place does not ask as well.
private struct FanOutPace {
    static let every: Duration = .milliseconds(20)
    private var last = ContinuousClock.now - every
    private var full = false

    var isDue: Bool { full || ContinuousClock.now - last >= Self.every }

    mutating func handed(_ count: Int, of batch: Int) {
        last = .now
        full = count == batch
    }
}

/// How many sends are in flight, what the finished ones came to (until a turn records them), and the wake-ups of the
/// loop: each time a send ends, and every `idle`.
private final class Sending: Sendable {
    let count = Atomic<Int>(0)
    let stopped = Atomic<Bool>(false)
    let wakes: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private let outcomes = Mutex<[(delivery: ClaimedDelivery, outcome: DeliveryOutcome)]>([])

    init() {
        (wakes, signal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func wake() {
        signal.yield()
    }

    func finished(_ delivery: ClaimedDelivery, _ outcome: DeliveryOutcome) {
        outcomes.withLock { $0.append((delivery, outcome)) }
        count.subtract(1, ordering: .releasing)
        signal.yield()
    }

    func takeFinished() -> [(delivery: ClaimedDelivery, outcome: DeliveryOutcome)] {
        outcomes.withLock { outcomes in
            defer { outcomes.removeAll() }
            return outcomes
        }
    }
}
