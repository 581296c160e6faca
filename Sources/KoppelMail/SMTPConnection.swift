import Logging
import NIOCore
import NIOSSL
import Synchronization

/// One SMTP connection as async code sees it: write a request, wait for its reply.
///
/// Each exchange is bounded by the reply timeout and by the deadline of the whole send.
/// A timeout closes the channel, which ends any pending read or write; the flag tells
/// the error path that the failure was the timeout.
final class SMTPConnection {
    private var replies: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<SMTPRequest>
    private let channel: any Channel
    private let replyTimeout: TimeAmount
    private let deadline: NIODeadline
    private let logger: Logger

    init(
        inbound: NIOAsyncChannelInboundStream<SMTPReply>,
        outbound: NIOAsyncChannelOutboundWriter<SMTPRequest>,
        channel: any Channel,
        timeouts: SMTPSettings.Timeouts,
        logger: Logger
    ) {
        self.replies = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.channel = channel
        self.replyTimeout = TimeAmount(timeouts.reply)
        self.deadline = .now() + TimeAmount(timeouts.total)
        self.logger = logger
    }

    /// Sends `request` (nil: only wait, as for the greeting) and returns the reply.
    /// `step` names the exchange in logs and errors; it must not contain secrets.
    func exchange(_ request: SMTPRequest?, step: String, timeout: TimeAmount? = nil) async throws -> SMTPReply {
        let remaining = deadline - .now()
        let ownLimit = timeout ?? replyTimeout
        let limit = min(ownLimit, remaining)
        guard limit > .zero else {
            throw SMTPError(.timeout, "the send took longer than its overall time limit, before \(step)")
        }
        let timedOut = TimeoutFlag()
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: limit) {
            timedOut.fire()
            channel.close(promise: nil)
        }
        defer { timer.cancel() }

        logger.trace("SMTP send", metadata: ["smtp.step": "\(step)"])
        do {
            if let request { try await write(request, step: step) }
            guard let reply = try await replies.next() else {
                throw SMTPError(.connection, "server closed the connection during \(step)")
            }
            logger.trace("SMTP reply", metadata: ["smtp.step": "\(step)", "smtp.reply": "\(reply.summary)"])
            // The timer may fire between the reply and its cancelling, and close the channel: this step was at the
            // limit, and saying so beats the next step's "I/O on closed channel".
            if timedOut.hasFired { throw timeoutError(step: step, limit: limit, ownLimit: ownLimit) }
            return reply
        } catch {
            if timedOut.hasFired { throw timeoutError(step: step, limit: limit, ownLimit: ownLimit) }
            throw SMTPConnection.classify(error, step: step)
        }
    }

    private func timeoutError(step: String, limit: TimeAmount, ownLimit: TimeAmount) -> SMTPError {
        let seconds = Double(limit.nanoseconds) / 1e9
        let which = limit < ownLimit ? "the overall send time limit" : "the reply time limit"
        return SMTPError(.timeout, "no reply during \(step) within \(seconds) s (\(which))")
    }

    /// A write to a closed channel only says "closed"; the inbound side carries the reason
    /// (e.g. the TLS handshake error) or the server's last reply, so report that instead.
    private func write(_ request: SMTPRequest, step: String) async throws {
        do {
            try await outbound.write(request)
        } catch where !(error is SMTPError) && !channel.isActive {
            guard let lastWord = try await replies.next() else { throw error }
            if lastWord.code >= 400 { throw SMTPError.rejected(lastWord, during: step) }
            throw SMTPError(.connection, "server closed the connection after replying \(lastWord.summary)")
        }
    }

    /// Maps NIO and TLS errors to transient SMTP errors; keeps our own and cancellation.
    static func classify(_ error: any Error, step: String) -> any Error {
        if error is SMTPError || error is CancellationError { return error }
        if Task.isCancelled { return CancellationError() }
        if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError {
            return SMTPError(.connection, "TLS failed during \(step): \(error)")
        }
        return SMTPError(.connection, "connection failed during \(step): \(error)")
    }
}

/// Set by the timer when an exchange took too long.
private final class TimeoutFlag: Sendable {
    private let fired = Atomic<Bool>(false)

    func fire() { fired.store(true, ordering: .sequentiallyConsistent) }
    var hasFired: Bool { fired.load(ordering: .sequentiallyConsistent) }
}
