import NIOCore
import Testing

@testable import KoppelMail

@Suite struct SMTPProtocolTests {
    private func stuffed(_ text: String) -> String {
        String(decoding: SMTPDataEncoding.dotStuffed(text), as: UTF8.self)
    }

    @Test func dotStuffingDoublesLeadingDotsAndTerminates() {
        #expect(stuffed(".a\r\nb\r\n..c\r\n") == "..a\r\nb\r\n...c\r\n.\r\n")
        #expect(stuffed("a\r\n.\r\nb\r\n") == "a\r\n..\r\nb\r\n.\r\n")
        #expect(stuffed("a.b\r\n") == "a.b\r\n.\r\n")
    }

    @Test func dotStuffingTerminatesBodiesWithoutFinalCRLFAndNormalizesNewlines() {
        #expect(stuffed("no newline") == "no newline\r\n.\r\n")
        #expect(stuffed("x\n.y\rz") == "x\r\n..y\r\nz\r\n.\r\n")
        #expect(stuffed("") == ".\r\n")
        #expect(stuffed(".") == "..\r\n.\r\n")
    }

    @Test func parsesMultiLineReplies() throws {
        var parser = SMTPReplyParser()
        #expect(try parser.feed("250-mx.example.org greets you") == nil)
        #expect(try parser.feed("250-SIZE 1000") == nil)
        #expect(
            try parser.feed("250 STARTTLS")
                == SMTPReply(code: 250, lines: ["mx.example.org greets you", "SIZE 1000", "STARTTLS"]))
        // The parser is reset for the next reply; a bare code is a valid final line.
        #expect(try parser.feed("354") == SMTPReply(code: 354, lines: [""]))
        #expect(try parser.feed("220 ready") == SMTPReply(code: 220, lines: ["ready"]))
    }

    @Test(arguments: [["hello"], ["25"], ["250-a", "251 b"], ["250_x"], ["650 x"], ["2x0 x"]])
    func rejectsMalformedReplies(lines: [String]) {
        var parser = SMTPReplyParser()
        #expect(throws: SMTPError.self) {
            for line in lines { _ = try parser.feed(line) }
        }
    }

    @Test func limitsTheNumberOfReplyLines() throws {
        var parser = SMTPReplyParser(maxLines: 3)
        for _ in 0..<3 { _ = try parser.feed("250-x") }
        #expect(throws: SMTPError.self) { try parser.feed("250-x") }
    }

    @Test func replyTextLosesControlCharacters() throws {
        var parser = SMTPReplyParser()
        #expect(try parser.feed("550 bad\u{1B}[31m") == SMTPReply(code: 550, lines: ["bad?[31m"]))
    }

    @Test func framerSplitsLinesAcrossChunks() throws {
        var framer = SMTPLineFramer(maxLineLength: 20)
        var chunk = ByteBuffer(string: "220 hel")
        framer.append(&chunk)
        #expect(try framer.nextLine() == nil)
        chunk = ByteBuffer(string: "lo\r\n250 ok\n25")
        framer.append(&chunk)
        #expect(try framer.nextLine() == "220 hello")
        #expect(try framer.nextLine() == "250 ok")
        #expect(try framer.nextLine() == nil)
        #expect(!framer.isEmpty)
        chunk = ByteBuffer(string: "0 x\r\n")
        framer.append(&chunk)
        #expect(try framer.nextLine() == "250 x")
        #expect(framer.isEmpty)
    }

    @Test func framerRefusesOverlongLines() throws {
        var framer = SMTPLineFramer(maxLineLength: 10)
        var chunk = ByteBuffer(string: String(repeating: "x", count: 11))
        framer.append(&chunk)
        #expect(throws: SMTPError.self) { try framer.nextLine() }

        var other = SMTPLineFramer(maxLineLength: 10)
        chunk = ByteBuffer(string: String(repeating: "x", count: 12) + "\r\n")
        other.append(&chunk)
        #expect(throws: SMTPError.self) { try other.nextLine() }
    }

    @Test func parsesEHLOCapabilities() {
        let reply = SMTPReply(
            code: 250,
            lines: [
                "mx.example.org", "PIPELINING", "SIZE 35882577", "auth plain LOGIN", "STARTTLS", "8BITMIME",
                "AUTH=XOAUTH2",
            ]
        )
        let capabilities = SMTPCapabilities(ehloReply: reply)
        #expect(capabilities.startTLS)
        #expect(capabilities.eightBitMIME)
        #expect(capabilities.supportsSize && capabilities.sizeLimit == 35_882_577)
        #expect(capabilities.authMechanisms == ["PLAIN", "LOGIN", "XOAUTH2"])
        // The greeting line is not a keyword.
        #expect(!SMTPCapabilities(ehloReply: SMTPReply(code: 250, lines: ["STARTTLS"])).startTLS)
    }

    @Test func classifiesErrors() {
        let transient = SMTPError.rejected(SMTPReply(code: 451, lines: ["4.3.0 try later"]), during: "RCPT TO:<a@b.c>")
        #expect(!transient.isPermanent)
        #expect(transient.replyCode == 451)
        #expect(transient.description.contains("451 4.3.0 try later"))
        #expect(transient.description.contains("RCPT TO:<a@b.c>"))

        let permanent = SMTPError.rejected(SMTPReply(code: 550, lines: ["5.1.1 no such user", "bye"]), during: "RCPT")
        #expect(permanent.isPermanent)
        #expect(permanent.description.contains("550 5.1.1 no such user / bye"))

        #expect(!SMTPError(.connection, "refused").isPermanent)
        #expect(!SMTPError(.timeout, "slow").isPermanent)
        #expect(!SMTPError(.protocolViolation, "garbage").isPermanent)
        #expect(SMTPError(.policy, "no STARTTLS").isPermanent)
        #expect(SMTPError(.invalidMessage, "bad").isPermanent)
    }
}
