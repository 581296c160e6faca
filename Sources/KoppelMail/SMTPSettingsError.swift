/// A problem with the SMTP configuration, found before any connection is made.
/// The message names what to fix; it never contains the password.
public struct SMTPSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "SMTP settings: \(message)" }
}
