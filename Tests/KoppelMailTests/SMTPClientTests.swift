import Foundation
import Logging
import NIOCore
import Testing

@testable import KoppelMail

/// The protocol client against a scripted plaintext server (see FakeSMTPServer).
@Suite struct SMTPClientTests {
    static let password = "hunter2 p@ss"

    static func message() throws -> MailMessage {
        try MailMessage(
            from: MailAddress("noreply@koppel.nl", displayName: "Koppel"),
            to: [MailAddress("a@example.org"), MailAddress("b@example.org")],
            subject: "Verwijzing geweigerd — Perspectief+",
            textBody: "Regel 1\n.begint met een punt\nGeheim lichaam",
            date: Date(timeIntervalSince1970: 1_764_666_303)
        )
    }

    /// Sends the test message; returns the error, if any, and what the server saw.
    static func send(
        _ script: FakeSMTPServer.Script = .init(),
        credentials: Bool = true,
        plaintextAllowed: Bool = true,
        replyTimeout: Duration = .seconds(5)
    ) async throws -> (error: (any Error)?, transcript: FakeSMTPServer.Transcript) {
        let server = try await FakeSMTPServer.start(script)
        let userInfo = credentials ? "mailer:hunter2%20p%40ss@" : ""
        let settings = try SMTPSettings(
            url: "smtp://\(userInfo)127.0.0.1:\(server.port)",
            ehloName: "app.koppel.test",
            timeouts: .init(connect: .seconds(5), reply: replyTimeout, total: .seconds(10)),
            allowInsecurePlaintextForLoopbackTests: plaintextAllowed
        )
        let client = try SMTPClient(settings: settings, logger: Logger(label: "test"))
        var failure: (any Error)?
        do {
            try await client.send(try message())
        } catch {
            failure = error
        }
        let transcript = server.transcript
        try await server.stop()
        return (failure, transcript)
    }

    @Test func deliversWithAuthPlainAndDotStuffing() async throws {
        let (error, transcript) = try await Self.send()
        #expect(error == nil)
        let token = Data("\0mailer\0\(Self.password)".utf8).base64EncodedString()
        let message = try Self.message()
        let size = SMTPDataEncoding.dotStuffed(message.rendered()).count
        #expect(
            transcript.commands == [
                "EHLO app.koppel.test", "AUTH PLAIN \(token)", "MAIL FROM:<noreply@koppel.nl> SIZE=\(size)",
                "RCPT TO:<a@example.org>", "RCPT TO:<b@example.org>", "DATA", "QUIT",
            ])
        let payload = try #require(transcript.payloads.first)
        #expect(payload.contains("\r\n..begint met een punt\r\n"))
        #expect(payload.hasSuffix("\r\n"))
    }

    @Test func usesAuthLoginWhenPlainIsNotOffered() async throws {
        var script = FakeSMTPServer.Script()
        script.ehlo = "250-fake.test\r\n250 AUTH LOGIN"
        let (error, transcript) = try await Self.send(script)
        #expect(error == nil)
        #expect(
            Array(transcript.commands.prefix(4)) == [
                "EHLO app.koppel.test", "AUTH LOGIN", Data("mailer".utf8).base64EncodedString(),
                Data(Self.password.utf8).base64EncodedString(),
            ])
        #expect(transcript.commands[4] == "MAIL FROM:<noreply@koppel.nl>")  // no SIZE offered, none sent
    }

    @Test func refusesWithoutSTARTTLSBeforeAnyAuthOrMail() async throws {
        let (error, transcript) = try await Self.send(plaintextAllowed: false)
        let smtpError = try #require(error as? SMTPError)
        #expect(smtpError.kind == .policy)
        #expect(smtpError.isPermanent)
        #expect(smtpError.message.contains("does not offer STARTTLS"))
        #expect(transcript.commands == ["EHLO app.koppel.test", "QUIT"])
    }

    @Test func refusesWhenNoSupportedAuthMechanismIsOffered() async throws {
        var script = FakeSMTPServer.Script()
        script.ehlo = "250-fake.test\r\n250 AUTH CRAM-MD5 XOAUTH2"
        let (error, transcript) = try await Self.send(script)
        let smtpError = try #require(error as? SMTPError)
        #expect(smtpError.kind == .policy)
        #expect(smtpError.message.contains("CRAM-MD5 XOAUTH2"))
        #expect(!transcript.commands.contains { $0.hasPrefix("AUTH") || $0.hasPrefix("MAIL") })
    }

    @Test func wrongPasswordIsPermanentAndDoesNotLeakIt() async throws {
        var script = FakeSMTPServer.Script()
        script.replies["AUTH"] = "535 5.7.8 Authentication credentials invalid"
        let (error, transcript) = try await Self.send(script)
        let smtpError = try #require(error as? SMTPError)
        #expect(smtpError.isPermanent)
        #expect(smtpError.replyCode == 535)
        #expect(smtpError.message.contains("535 5.7.8 Authentication credentials invalid"))
        #expect(!"\(smtpError)".contains("hunter2"))
        #expect(!"\(smtpError)".contains(Data("\0mailer\0\(Self.password)".utf8).base64EncodedString()))
        #expect(!transcript.commands.contains { $0.hasPrefix("MAIL") })
    }

    @Test(arguments: [("550 5.1.1 no such user", true), ("451 4.3.0 try again later", false)])
    func recipientRejections(reply: String, permanent: Bool) async throws {
        var script = FakeSMTPServer.Script()
        script.replies["RCPT"] = reply
        let (error, transcript) = try await Self.send(script)
        let smtpError = try #require(error as? SMTPError)
        #expect(smtpError.kind == .rejected)
        #expect(smtpError.isPermanent == permanent)
        #expect(smtpError.message.contains(reply))
        #expect(smtpError.message.contains("RCPT TO:<a@example.org>"))
        #expect(!"\(smtpError)".contains("Geheim lichaam"))
        #expect(transcript.commands.last == "QUIT")
        #expect(transcript.payloads.isEmpty)
    }

    @Test func rejectedMessageDataIsReported() async throws {
        var script = FakeSMTPServer.Script()
        script.replies["."] = "554 5.6.0 content rejected"
        let (error, _) = try await Self.send(script)
        let smtpError = try #require(error as? SMTPError)
        #expect(smtpError.isPermanent && smtpError.replyCode == 554)
        #expect(!smtpError.message.contains("Geheim lichaam"))
    }

    @Test func greetingRejectionIsPermanent() async throws {
        var script = FakeSMTPServer.Script()
        script.greeting = "554 5.3.2 no service for you"
        let (error, _) = try await Self.send(script)
        #expect((error as? SMTPError)?.isPermanent == true)
        #expect((error as? SMTPError)?.replyCode == 554)
    }

    @Test func fallsBackToHELOWhenEHLOIsRejected() async throws {
        var script = FakeSMTPServer.Script()
        script.ehlo = "502 5.5.1 EHLO not implemented"
        let (error, transcript) = try await Self.send(script, credentials: false)
        #expect(error == nil)
        #expect(
            Array(transcript.commands.prefix(3)) == [
                "EHLO app.koppel.test", "HELO app.koppel.test", "MAIL FROM:<noreply@koppel.nl>",
            ])
    }

    @Test func transientEHLOFailureIsNotRetriedWithHELO() async throws {
        var script = FakeSMTPServer.Script()
        script.ehlo = "421 4.3.2 shutting down"
        let (error, transcript) = try await Self.send(script)
        #expect((error as? SMTPError)?.isPermanent == false)
        #expect(!transcript.commands.contains { $0.hasPrefix("HELO") })
    }

    @Test func silentServerTimesOutAsTransient() async throws {
        var script = FakeSMTPServer.Script()
        script.replies["MAIL"] = ""
        let started = ContinuousClock.now
        // Long enough that the replies before MAIL arrive in time while the whole suite loads the machine (at 300 ms
        // an AUTH reply once came late), short enough to show the wait is bounded.
        let (error, _) = try await Self.send(script, replyTimeout: .seconds(2))
        let smtpError = try #require(error as? SMTPError)
        #expect(smtpError.kind == .timeout)
        #expect(!smtpError.isPermanent)
        #expect(smtpError.message.contains("MAIL FROM"))
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func serverDownIsATransientConnectionError() async throws {
        let server = try await FakeSMTPServer.start()
        let port = server.port
        try await server.stop()
        let settings = try SMTPSettings(url: "smtp://127.0.0.1:\(port)", allowInsecurePlaintextForLoopbackTests: true)
        let client = try SMTPClient(settings: settings, logger: Logger(label: "test"))
        await #expect {
            try await client.send(try Self.message())
        } throws: { error in
            (error as? SMTPError)?.kind == .connection && (error as? SMTPError)?.isPermanent == false
        }
    }

    @Test func dataInjectedAfterTheSTARTTLSReplyIsRefused() async throws {
        var script = FakeSMTPServer.Script()
        script.ehlo = "250-fake.test\r\n250 STARTTLS"
        script.injectAfterStartTLS = "250 injected before TLS"
        let (error, transcript) = try await Self.send(script, plaintextAllowed: false)
        let smtpError = try #require(error as? SMTPError)
        #expect(smtpError.kind == .protocolViolation)
        #expect(smtpError.message.contains("after its STARTTLS reply"))
        #expect(transcript.commands == ["EHLO app.koppel.test", "STARTTLS"])
    }

    @Test func cancellationStopsTheSend() async throws {
        var script = FakeSMTPServer.Script()
        script.replies["MAIL"] = ""
        let server = try await FakeSMTPServer.start(script)
        let settings = try SMTPSettings(
            url: "smtp://127.0.0.1:\(server.port)", allowInsecurePlaintextForLoopbackTests: true)
        let client = try SMTPClient(settings: settings, logger: Logger(label: "test"))
        let task = Task { try await client.send(try Self.message()) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        try await server.stop()
    }
}
