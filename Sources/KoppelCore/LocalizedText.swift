/// Text kept in Dutch and, where someone wrote it, English. Dutch is always present.
public struct LocalizedText: Sendable, Hashable, Codable {
    public var dutch: String
    public var english: String?

    public init(dutch: String, english: String? = nil) {
        self.dutch = dutch
        self.english = english
    }

    /// The text in the given language, or the Dutch text when there is no translation.
    public func text(in language: UILanguage) -> String {
        switch language {
        case .dutch: dutch
        case .english: english ?? dutch
        }
    }

    enum CodingKeys: String, CodingKey {
        case dutch = "nl"
        case english = "en"
    }
}
