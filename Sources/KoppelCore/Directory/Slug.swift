import Foundation

/// A readable, unique key for an imported record (`buddyhulp-den-haag-1a2b3c4d`): its name in plain letters, and the
/// start of its HSDS id so two records of one name never share a slug.
public enum Slug {
    public static func make(_ name: String, _ id: UUID) -> String {
        let plain = name.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: nil).lowercased()
        var words = ""
        for scalar in plain.unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                words.unicodeScalars.append(scalar)
            } else if !words.isEmpty, !words.hasSuffix("-") {
                words += "-"
            }
        }
        let stem = String(words.prefix(40)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        let suffix = String(id.uuidString.lowercased().prefix(8))
        return stem.isEmpty ? "hsds-\(suffix)" : "\(stem)-\(suffix)"
    }
}
