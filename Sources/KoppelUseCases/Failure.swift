/// What a use case could not do, once for every door. Each protocol turns `kind` into its status (problem+json,
/// OperationOutcome, an HTML page) in one place, so two doors cannot answer the same failure differently.
public struct Failure: Error, Sendable, Equatable {
    public var kind: FailureKind
    /// A stable name for the failure, such as `referral.ineligible`: machine-readable in every door.
    public var code: String
    /// The catalogue key of the message for people (web pages, FHIR), and what fills its placeholders.
    public var messageKey: String
    public var arguments: [String: [MessagePart]]
    /// The message for developers (the JSON API), in English, saying which request to send instead.
    public var detail: String
    /// The input element at fault, as the JSON API names it (`programme_id`), when there is one.
    public var field: String?
    /// Seconds after which trying again makes sense.
    public var retryAfterSeconds: Int?

    public init(
        _ kind: FailureKind, code: String, messageKey: String, arguments: [String: [MessagePart]] = [:], detail: String,
        field: String? = nil, retryAfterSeconds: Int? = nil
    ) {
        self.kind = kind
        self.code = code
        self.messageKey = messageKey
        self.arguments = arguments
        self.detail = detail
        self.field = field
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// The kinds of failure a door must tell apart; each maps to one HTTP status.
public enum FailureKind: Sendable, Equatable {
    case notSignedIn, forbidden, notFound, invalid, conflict, gone, versionMismatch, tooManyRequests
}

/// A piece of a message argument: words as they are, or a catalogue key to translate (a state, a rule).
public indirect enum MessagePart: Sendable, Equatable {
    case text(String)
    /// A catalogue key, with what fills its own placeholders.
    case key(String, [String: [MessagePart]] = [:])
}
