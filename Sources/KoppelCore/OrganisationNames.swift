import Foundation

/// What an organisation may be called: the one rule the API, the hub-admin's page and the CLI all apply.
public enum OrganisationNames {
    public static let slugLength = 1...60
    public static let nameLength = 1...200

    /// Whether a short name (lower-case letters, digits and dashes, not starting with a dash, at most 60) and a
    /// name (1 to 200 characters, not only spaces) may be used.
    public static func areValid(slug: String, name: String) -> Bool {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard slugLength.contains(slug.count), nameLength.contains(name.count), !trimmed.isEmpty, slug.first != "-" else { return false }
        return slug.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}
