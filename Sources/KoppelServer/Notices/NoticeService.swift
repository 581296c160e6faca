import Foundation
import KoppelCore
import KoppelMail
import KoppelStore
import Logging
import ServiceLifecycle

/// Tells people what needs them (decision 0017), in every replica: each tick it marks referrals whose deadline passed
/// (with their events), turns new outbox rows into notices, and, with a mail server, sends the notices' mail that is
/// due. Everything it does is a claimed row in PostgreSQL, so replicas share the work and one that dies leaves its
/// claims to the others after their lease.
struct NoticeService: Service {
    let queue: NoticeQueue
    let mail: (client: SMTPClient, composer: NoticeMail)?
    let clock: WallClock
    let logger: Logger
    static let tick: Duration = .milliseconds(500)
    static let expireEvery: Duration = .seconds(3600)
    /// Longer than any round of marking and fan-out takes (each statement ends within 15 s).
    static let roundLimit: Duration = .seconds(30)
    static let batch = 500
    /// Each referral marked also writes its event: 200 keeps a run of the scan within about 20 ms.
    static let scanBatch = 200
    static let mailBatch = 20
    /// Longer than a send may take (30 s) with its recording.
    static let mailLease: Duration = .seconds(120)

    func run() async throws {
        // Mail has a loop of its own, so a slow mail server never holds up the notices in Koppel. At shutdown the loops
        // are cancelled at once: whatever a round had claimed is claimed again by a replica after its lease.
        try? await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await every(Self.tick, limit: Self.roundLimit, "marking deadlines and making notices") { try await makeNotices() } }
                group.addTask { await every(Self.expireEvery, limit: Self.roundLimit, "expiring notices") { try await queue.expireAndPrune() } }
                if let mail {
                    group.addTask {
                        await every(Self.tick, limit: Self.mailLease, "sending notices' mail") { try await sendDue(mail.client, mail.composer) }
                    }
                }
            }
        }
    }

    private func makeNotices() async throws {
        while try await queue.scanDeadlines(limit: Self.scanBatch) >= Self.scanBatch {}
        while try await queue.fanOut(limit: Self.batch) >= Self.batch {}
    }

    /// Runs `round` every `interval` until shutdown. Each round races `limit`: a database call that never returns after
    /// PostgreSQL restarted (decision 0013) is left behind, and the next round goes on with a new connection.
    private func every(_ interval: Duration, limit: Duration, _ what: String, _ round: @escaping @Sendable () async throws -> Void) async {
        while !Task.isCancelled {
            do {
                try await withDeadline(limit) { try await WallClock.$current.withValue(clock) { try await round() } }
            } catch is CancellationError {
                return
            } catch {
                var metadata = Logger.Metadata.describing(error)
                metadata["work"] = "\(what)"
                logger.warning("notices: a round failed; the next tries again", metadata: metadata)
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Sends what is due: each notice at once on its own, each person's digest notices together.
    private func sendDue(_ client: SMTPClient, _ composer: NoticeMail) async throws {
        let claimed = try await queue.claimMail(limit: Self.mailBatch, lease: Self.mailLease)
        guard !claimed.isEmpty else { return }
        let mails: [[MailNotice]] =
            claimed.filter { !$0.digest }.map { [$0] } + Dictionary(grouping: claimed.filter(\.digest), by: \.userID).values.map { $0 }
        var outcomes: [(notice: Int64, outcome: MailOutcome)] = []
        // After one mail the server did not take for now, the rest of the claim waits too: a server that is down (or
        // drops connections) costs one connect timeout a round, not one per mail, and the claim ends within its lease.
        var deferred: MailOutcome?
        for notices in mails {
            let outcome: MailOutcome
            if let deferred {
                outcome = deferred
            } else {
                outcome = await send(notices, client, composer)
            }
            if case .retry = outcome { deferred = outcome }
            outcomes += notices.map { ($0.noticeID, outcome) }
        }
        try await queue.recordMail(outcomes)
    }

    private func send(_ notices: [MailNotice], _ client: SMTPClient, _ composer: NoticeMail) async -> MailOutcome {
        let now = WallClock.current.now()
        do {
            try await client.send(try composer.message(for: notices, at: now))
            return .sent
        } catch let error as MailMessageError {
            return .failed(error: error.description)
        } catch let error as SMTPError where error.isPermanent {
            logger.warning("notices: the mail server refused a notice for good", metadata: ["smtp.code": "\(error.replyCode ?? 0)"])
            return .failed(error: error.description)
        } catch {
            let attempts = notices.map(\.attempts).max() ?? 1
            logger.info("notices: mail not sent; tried again later", metadata: ["attempts": "\(attempts)"])
            return .retry(at: now.addingTimeInterval(Double(MailSchedule.retryDelay(after: attempts).components.seconds)), error: "\(error)")
        }
    }
}
