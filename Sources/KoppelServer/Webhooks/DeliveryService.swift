import Foundation
import KoppelCore
import KoppelStore
import Logging
import ServiceLifecycle
import Synchronization

/// Sends webhooks from the outbox, in every replica that has deliveries to spare (decision 0016). Each turn hands new
/// outbox rows to the subscriptions that want them, then claims as many due deliveries as it has free places (`width`)
/// and sends each in a task of its own, so one slow receiver holds one place, not the others. Turns follow at once
/// while there is work, as soon as a place is free when all are taken, and every `idle` when there is none; now and then it prunes what is over. At shutdown it stops
/// claiming and lets the sends in flight finish (each is bounded by the 15 s timeout); anything claimed and not
/// recorded is claimed again after its lease, by any replica.
struct DeliveryService: Service {
    let queue: DeliveryQueue
    let sender: WebhookSender
    let width: Int
    let clock: WallClock
    let logger: Logger
    /// How long a claimed delivery is this replica's: longer than a try can take (15 s) and its recording.
    static let lease: Duration = .seconds(30)
    static let idle: Duration = .milliseconds(100)
    static let pruneEvery: Duration = .seconds(3600)
    static let fanOutBatch = 500

    func run() async throws {
        let sending = Sending()
        await withDiscardingTaskGroup { group in
            var lastPrune = ContinuousClock.now - Self.pruneEvery
            var placeFreed = sending.freed.makeAsyncIterator()
            var fanOut = FanOutPace()
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let busy = await WallClock.$current.withValue(clock) { await turn(sending: sending, fanOut: &fanOut, group: &group) }
                if ContinuousClock.now - lastPrune >= Self.pruneEvery {
                    lastPrune = .now
                    await WallClock.$current.withValue(clock) { await prune() }
                }
                if sending.count.load(ordering: .acquiring) >= width {
                    _ = await placeFreed.next()  // every place taken: go on when one is free
                } else if !busy {
                    try? await Task.sleep(for: Self.idle)
                }
            }
        }
        await sender.shutdown()
    }

    /// One turn; whether it found work (then the next follows at once).
    private func turn(sending: Sending, fanOut: inout FanOutPace, group: inout DiscardingTaskGroup) async -> Bool {
        do {
            var handed = 0
            if fanOut.isDue {
                handed = try await queue.fanOut(limit: Self.fanOutBatch)
                fanOut.handed(handed, of: Self.fanOutBatch)
            }
            let free = width - sending.count.load(ordering: .acquiring)
            guard free > 0 else { return handed > 0 }
            let claimed = try await queue.claim(limit: free, lease: Self.lease)
            for delivery in claimed {
                sending.count.add(1, ordering: .relaxed)
                group.addTask { [clock, queue, sender, logger] in
                    await WallClock.$current.withValue(clock) {
                        let outcome = await sender.send(delivery, now: clock.now())
                        do {
                            try await queue.record(delivery, outcome)
                        } catch {
                            logger.warning("recording a webhook delivery failed; it is sent again after its lease", metadata: Self.metadata(error))
                        }
                    }
                    sending.finished()
                }
            }
            return handed > 0 || !claimed.isEmpty
        } catch is CancellationError {
            return false
        } catch {
            logger.warning("webhook deliveries paused a moment", metadata: Self.metadata(error))
            return false
        }
    }

    private func prune() async {
        do { try await queue.prune() } catch { logger.warning("pruning webhook deliveries failed", metadata: Self.metadata(error)) }
    }

    private static func metadata(_ error: any Error) -> Logger.Metadata {
        ["error.type": "\(String(reflecting: type(of: error)))"]
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

/// How many sends are in flight, and a signal each time one ends.
private final class Sending: Sendable {
    let count = Atomic<Int>(0)
    let freed: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation

    init() {
        (freed, signal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func finished() {
        count.subtract(1, ordering: .releasing)
        signal.yield()
    }
}
