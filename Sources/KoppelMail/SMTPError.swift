/// Why a message could not be delivered.
///
/// `isPermanent` tells an outbox worker whether retrying can help: 5xx replies, invalid
/// messages and refusals by our own policy are permanent; 4xx replies, connection and
/// TLS failures, timeouts and protocol glitches are transient. The message includes the
/// SMTP reply code and text, never the password or the message body.
public struct SMTPError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server answered with a 4xx or 5xx reply (see `replyCode`).
        case rejected
        /// Could not connect, the connection broke, or TLS failed.
        case connection
        /// No reply in time.
        case timeout
        /// The server sent something that is not SMTP.
        case protocolViolation
        /// We refused to go on: no STARTTLS, no usable AUTH mechanism, message too large.
        case policy
        /// The message itself is not valid (bad address, header injection attempt).
        case invalidMessage
    }

    public let kind: Kind
    public let replyCode: Int?
    public let message: String

    public init(_ kind: Kind, _ message: String, replyCode: Int? = nil) {
        self.kind = kind
        self.message = message
        self.replyCode = replyCode
    }

    /// A 4xx or 5xx reply to `step` (e.g. "RCPT TO:<a@example.org>").
    static func rejected(_ reply: SMTPReply, during step: String) -> SMTPError {
        SMTPError(.rejected, "server rejected \(step): \(reply.summary)", replyCode: reply.code)
    }

    public var isPermanent: Bool {
        switch kind {
        case .rejected: return (replyCode ?? 0) >= 500
        case .policy, .invalidMessage: return true
        case .connection, .timeout, .protocolViolation: return false
        }
    }

    public var description: String {
        "SMTP \(isPermanent ? "permanent" : "transient") error (\(kind)): \(message)"
    }
}
