import Foundation
import Logging
import NIOCore

/// The SMTP dialogue for one message on one connection, from greeting to QUIT.
struct SMTPSession {
    let connection: SMTPConnection
    let settings: SMTPSettings
    let logger: Logger
    var tlsActive: Bool

    mutating func deliver(from sender: String, to recipients: [String], data: ByteBuffer) async throws {
        do {
            try await run(from: sender, to: recipients, data: data)
        } catch let error as SMTPError where error.kind == .rejected || error.kind == .policy {
            // The connection is still in order: say goodbye politely before closing it.
            await quit()
            throw error
        }
        await quit()
    }

    private mutating func run(from sender: String, to recipients: [String], data: ByteBuffer) async throws {
        try check(await connection.exchange(nil, step: "greeting"), "the greeting", expect: 220)
        var capabilities = try await hello()

        if settings.security == .startTLS {
            if capabilities.startTLS {
                try check(await connection.exchange(.startTLS, step: "STARTTLS"), "STARTTLS", expect: 220)
                tlsActive = true
                // RFC 3207: what the server said before TLS must be forgotten.
                capabilities = try await hello()
                logger.debug("SMTP STARTTLS done")
            } else if !settings.allowInsecurePlaintextForLoopbackTests {
                throw SMTPError(
                    .policy,
                    "server \(settings.host):\(settings.port) does not offer STARTTLS; refusing to send credentials or mail "
                        + "without TLS (use an smtps:// URL if the server offers implicit TLS)"
                )
            }
        }

        if let credentials = settings.credentials {
            try await authenticate(credentials, offered: capabilities.authMechanisms)
        }

        if let limit = capabilities.sizeLimit, limit > 0, data.readableBytes > limit {
            throw SMTPError(.policy, "message is \(data.readableBytes) bytes; the server accepts at most \(limit)")
        }
        let size = capabilities.supportsSize ? " SIZE=\(data.readableBytes)" : ""
        try await command("MAIL FROM:<\(sender)>\(size)", step: "MAIL FROM:<\(sender)>", expect: 250)
        for recipient in recipients {
            try await command("RCPT TO:<\(recipient)>", step: "RCPT TO:<\(recipient)>", expect: 250, 251)
        }
        try await command("DATA", step: "DATA", expect: 354)
        let accepted = try check(
            await connection.exchange(.payload(data), step: "message data"), "the message", expect: 250)
        logger.debug("SMTP message accepted", metadata: ["smtp.reply": "\(accepted.summary)"])
    }

    /// EHLO, or HELO when the server rejects EHLO permanently (a very old server).
    private func hello() async throws -> SMTPCapabilities {
        let ehlo = try await connection.exchange(.command("EHLO \(settings.ehloName)"), step: "EHLO")
        if ehlo.isPositiveCompletion { return SMTPCapabilities(ehloReply: ehlo) }
        guard ehlo.code >= 500 else { throw SMTPError.rejected(ehlo, during: "EHLO") }
        try await command("HELO \(settings.ehloName)", step: "HELO", expect: 250)
        return SMTPCapabilities()
    }

    /// AUTH PLAIN when offered, else AUTH LOGIN. Only over TLS, unless the test-only flag says otherwise.
    private func authenticate(_ credentials: SMTPCredentials, offered: Set<String>) async throws {
        guard tlsActive || settings.allowInsecurePlaintextForLoopbackTests else {
            throw SMTPError(.policy, "refusing to send credentials over a connection without TLS")
        }
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

        if offered.contains("PLAIN") {
            let token = base64("\0\(credentials.username)\0\(credentials.password)")
            try await command("AUTH PLAIN \(token)", step: "AUTH PLAIN", expect: 235)
        } else if offered.contains("LOGIN") {
            try await command("AUTH LOGIN", step: "AUTH LOGIN", expect: 334)
            try await command(base64(credentials.username), step: "AUTH LOGIN (user name)", expect: 334)
            try await command(base64(credentials.password), step: "AUTH LOGIN (password)", expect: 235)
        } else {
            let list = offered.isEmpty ? "none" : offered.sorted().joined(separator: " ")
            throw SMTPError(.policy, "server offers no AUTH mechanism we support (PLAIN or LOGIN); it offers: \(list)")
        }
        logger.debug("SMTP authenticated", metadata: ["smtp.user": "\(credentials.username)"])
    }

    /// Best effort: the message is already accepted (or already failed), so errors here do not count.
    private func quit() async {
        _ = try? await connection.exchange(.command("QUIT"), step: "QUIT", timeout: .seconds(2))
    }

    @discardableResult
    private func command(_ line: String, step: String, expect codes: Int...) async throws -> SMTPReply {
        try check(await connection.exchange(.command(line), step: step), step, expect: codes)
    }

    @discardableResult
    private func check(_ reply: SMTPReply, _ step: String, expect codes: Int...) throws -> SMTPReply {
        try check(reply, step, expect: codes)
    }

    private func check(_ reply: SMTPReply, _ step: String, expect codes: [Int]) throws -> SMTPReply {
        if codes.contains(reply.code) { return reply }
        if reply.code >= 400 { throw SMTPError.rejected(reply, during: step) }
        throw SMTPError(.protocolViolation, "unexpected reply to \(step): \(reply.summary)", replyCode: reply.code)
    }
}
