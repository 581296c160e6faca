/// A message that cannot be rendered safely, e.g. a CR/LF in a header value.
public struct MailMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "invalid mail message: \(message)" }
}
