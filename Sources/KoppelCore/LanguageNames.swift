/// The key of a language's name in the UI catalogues, for ISO 639-1 codes.
public enum LanguageNames {
    public static func catalogueKey(forCode code: String) -> String { "language.\(code.lowercased())" }
}
