import Logging
import Testing

@testable import KoppelMail

@Suite struct SMTPSettingsTests {
    @Test func smtpURLDefaultsToSTARTTLSOnPort587() throws {
        let settings = try SMTPSettings(url: "smtp://mail.example.org")
        #expect(settings.host == "mail.example.org")
        #expect(settings.port == 587)
        #expect(settings.security == .startTLS)
        #expect(settings.credentials == nil)
        #expect(settings.ehloName == "localhost")
        #expect(settings.trustRoots == .system)
    }

    @Test func smtpsURLDefaultsToImplicitTLSOnPort465() throws {
        let settings = try SMTPSettings(url: "SMTPS://mail.example.org/")
        #expect(settings.port == 465)
        #expect(settings.security == .implicitTLS)
    }

    @Test func userAndPasswordArePercentDecoded() throws {
        let settings = try SMTPSettings(
            url: "smtp://noreply%40koppel.nl:p%40ss%3Aw%C3%B6rd%2F%25@smtp.example.org:2525")
        #expect(settings.credentials == SMTPCredentials(username: "noreply@koppel.nl", password: "p@ss:wörd/%"))
        #expect(settings.port == 2525)
    }

    @Test func unescapedAtSignInPasswordSplitsAtTheLastAt() throws {
        let settings = try SMTPSettings(url: "smtp://user:p@ss@smtp.example.org")
        #expect(settings.credentials?.password == "p@ss")
        #expect(settings.host == "smtp.example.org")
    }

    @Test func ipv6HostInBrackets() throws {
        let settings = try SMTPSettings(url: "smtp://[::1]:2525", allowInsecurePlaintextForLoopbackTests: true)
        #expect(settings.host == "::1")
        #expect(settings.port == 2525)
        #expect(settings.description == "smtp://[::1]:2525 allowInsecurePlaintextForLoopbackTests")
    }

    @Test(arguments: [
        ("http://mail.example.org", "unsupported scheme 'http'"),
        ("mail.example.org:587", "not a URL"),
        ("smtp://", "missing host"),
        ("smtp://:587", "missing host"),
        ("smtp://user:pw@", "missing host"),
        ("smtp://mail.example.org:0", "bad port '0'"),
        ("smtp://mail.example.org:70000", "bad port '70000'"),
        ("smtp://mail.example.org:abc", "bad port 'abc'"),
        ("smtp://mail.example.org:", "bad port ''"),
        ("smtp://user@mail.example.org", "no password"),
        ("smtp://:pw@mail.example.org", "user name is empty"),
        ("smtp://user:@mail.example.org", "password is empty"),
        ("smtp://user:bad%zz@mail.example.org", "password is not valid percent-encoding"),
        ("smtp://mail.example.org/inbox", "unexpected path or query '/inbox'"),
        ("smtp://mail.example.org?x=1", "unexpected path or query"),
        ("smtp://mail example.org", "not allowed in a host name"),
        ("smtp://::1:25", "put an IPv6 address in brackets"),
    ])
    func badURLsGiveAMessageSayingWhatToFix(url: String, expected: String) {
        #expect {
            try SMTPSettings(url: url)
        } throws: { error in
            (error as? SMTPSettingsError)?.message.contains(expected) == true
        }
    }

    @Test func errorsNeverEchoThePassword() {
        for url in ["smtp://user:hunter2@", "smtp://user:hunter2@host:99999", "ftp://user:hunter2@host"] {
            #expect {
                try SMTPSettings(url: url)
            } throws: { error in
                !"\(error)".contains("hunter2")
            }
        }
    }

    @Test func plaintextFlagIsOnlyForLoopbackHosts() throws {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "[::1]"] {
            #expect(throws: Never.self) {
                try SMTPSettings(url: "smtp://\(host):2525", allowInsecurePlaintextForLoopbackTests: true)
            }
        }
        for host in ["mail.example.org", "10.0.0.1", "128.0.0.1", "127.0.0.1.example.org"] {
            #expect(throws: SMTPSettingsError.self) {
                try SMTPSettings(url: "smtp://\(host):2525", allowInsecurePlaintextForLoopbackTests: true)
            }
        }
    }

    @Test func ehloNameMustBeAHostName() throws {
        #expect(try SMTPSettings(url: "smtp://h", ehloName: "app.koppel.nl").ehloName == "app.koppel.nl")
        #expect(try SMTPSettings(url: "smtp://h", ehloName: "[192.0.2.1]").ehloName == "[192.0.2.1]")
        #expect(throws: SMTPSettingsError.self) { try SMTPSettings(url: "smtp://h", ehloName: "a b") }
        #expect(throws: SMTPSettingsError.self) { try SMTPSettings(url: "smtp://h", ehloName: "x\r\nMAIL FROM:<a@b>") }
        #expect(throws: SMTPSettingsError.self) { try SMTPSettings(url: "smtp://h", ehloName: "") }
    }

    @Test func descriptionsRedactThePassword() throws {
        let settings = try SMTPSettings(
            url: "smtp://mailer:hunter2@mail.example.org", trustRoots: .pemFile("/etc/ca.pem"))
        #expect(settings.description == "smtp://mailer:<redacted>@mail.example.org:587 trustRoots=/etc/ca.pem")
        var dumped = ""
        dump(settings, to: &dumped)
        var dumpedCredentials = ""
        dump(settings.credentials, to: &dumpedCredentials)
        for text in [
            "\(settings)", String(reflecting: settings), dumped, "\(settings.credentials!)",
            String(reflecting: settings.credentials!), dumpedCredentials, "\([settings])",
        ] {
            #expect(!text.contains("hunter2"), "leaked in: \(text)")
            #expect(text.contains("<redacted>"), "no redaction marker in: \(text)")
        }
    }

    @Test func missingTrustRootsFileFailsWhenTheClientIsCreated() throws {
        let settings = try SMTPSettings(url: "smtps://mail.example.org", trustRoots: .pemFile("/nonexistent/ca.pem"))
        #expect {
            try SMTPClient(settings: settings, logger: .init(label: "test"))
        } throws: { error in
            "\(error)".contains("/nonexistent/ca.pem")
        }
    }
}
