import Configuration
import Foundation
import KoppelMail

/// The mail server and sender for notices, read and checked at startup: a wrong URL or sender stops the server with a
/// message saying what to fix, rather than failing at the first notice.
public struct MailSettings: Sendable {
    public let smtp: SMTPSettings
    public let sender: MailAddress

    /// Nil when no mail server is set. Koppel greets the server with the host name of its public address (some servers
    /// distrust a client that calls itself localhost).
    init?(url: String?, caFile: String?, from: String, publicURL: String) throws(SettingsError) {
        guard let url, !url.isEmpty else { return nil }
        let host = URL(string: publicURL)?.host.map { $0.contains(":") ? "[IPv6:\($0)]" : $0 } ?? "localhost"
        let ehloName = host.allSatisfy { $0.isNumber || $0 == "." } ? "[\(host)]" : host
        do {
            smtp = try SMTPSettings(url: url, trustRoots: caFile.map { $0.isEmpty ? .system : .pemFile($0) } ?? .system, ehloName: ehloName)
        } catch {
            throw SettingsError(setting: Settings.smtpURL, problem: "is not usable: \(error.description)")
        }
        do {
            sender = try Self.address(from)
        } catch {
            throw SettingsError(setting: Settings.mailFrom, problem: "is not an address such as Koppel <koppel@example.nl>: \(error.description)")
        }
    }

    public init(smtp: SMTPSettings, sender: MailAddress) {
        self.smtp = smtp
        self.sender = sender
    }

    /// The mail settings of a configuration, nil when no mail server is set.
    public static func read(_ reader: ConfigReader) throws(SettingsError) -> MailSettings? {
        func string(_ setting: SettingDescription) -> String? {
            reader.string(forKey: Settings.configKey(setting.key), isSecret: setting.isSecret) ?? setting.defaultValue
        }
        return try MailSettings(
            url: string(Settings.smtpURL), caFile: string(Settings.smtpCAFile), from: string(Settings.mailFrom) ?? "",
            publicURL: try ServerSettings.publicURL(string(Settings.publicURL)))
    }

    /// `address` or `Name <address>`.
    static func address(_ text: String) throws(MailMessageError) -> MailAddress {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix(">"), let open = text.lastIndex(of: "<") {
            let name = text[..<open].trimmingCharacters(in: .whitespaces)
            return try MailAddress(String(text[text.index(after: open)..<text.index(before: text.endIndex)]), displayName: name.isEmpty ? nil : name)
        }
        return try MailAddress(text)
    }
}
