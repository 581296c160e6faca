import ArgumentParser
import Configuration
import Foundation
import KoppelMail
import KoppelServer
import Logging

/// `koppel mail test`: sends one test message through the configured mail server, so an operator sees at once that the
/// URL, the password, the certificate and the sender work.
struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "The mail server for notices.", subcommands: [TestMail.self])

    struct TestMail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Send a test message through KOPPEL_SMTP_URL (with KOPPEL_SMTP_CA_FILE and KOPPEL_MAIL_FROM).")

        @Option(help: "Where to send the test message.") var to: String

        func run() async throws {
            let settings: MailSettings
            do {
                guard let configured = try MailSettings.read(Settings.reader(flags: [:])) else {
                    throw ValidationError("no mail server is set: set KOPPEL_SMTP_URL to smtp://USER:PASSWORD@HOST:587 or smtps://…")
                }
                settings = configured
            } catch let error as SettingsError {
                throw ValidationError(error.description)
            }
            let message = try MailMessage(
                from: settings.sender, to: [try MailAddress(to)], subject: "Koppel: testbericht / test message",
                textBody: "Dit is een testbericht van Koppel.\nThis is a test message from Koppel.\n",
                htmlBody: "<p>Dit is een testbericht van Koppel.</p><p lang=\"en\">This is a test message from Koppel.</p>", date: Date())
            do {
                try await SMTPClient(settings: settings.smtp, logger: Logger(label: "koppel.mail")).send(message)
            } catch let error as SMTPError {
                throw CommandFailure("the test message was not sent (\(error.isPermanent ? "refused" : "try again later")): \(error.description)")
            }
            print("sent")
        }
    }
}
