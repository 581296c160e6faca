import Foundation

/// The languages Koppel's pages speak. Dutch is the default; English is on request.
public enum UILanguage: String, CaseIterable, Sendable, Codable {
    case dutch = "nl"
    case english = "en"

    public static let `default`: UILanguage = .dutch

    /// The language asked for by a `lang` parameter, a cookie or an `Accept-Language` header, in that order.
    /// Anything unknown falls back to Dutch.
    public static func negotiate(parameter: String?, cookie: String?, acceptLanguage: String?) -> UILanguage {
        if let language = parameter.flatMap(UILanguage.init(code:)) { return language }
        if let language = cookie.flatMap(UILanguage.init(code:)) { return language }
        if let header = acceptLanguage, let language = preferred(inAcceptLanguage: header) { return language }
        return .default
    }

    /// Parses a language code such as `nl`, `EN` or `en-GB`.
    public init?(code: String) {
        let primary = code.split(separator: "-").first.map { $0.lowercased() } ?? ""
        self.init(rawValue: primary)
    }

    /// The first language in an `Accept-Language` header that Koppel speaks, honouring q-values.
    static func preferred(inAcceptLanguage header: String) -> UILanguage? {
        let ranked = header.split(separator: ",").compactMap { item -> (UILanguage, Double)? in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first, let language = UILanguage(code: tag) else { return nil }
            let quality = parts.dropFirst()
                .first { $0.hasPrefix("q=") }
                .flatMap { Double($0.dropFirst(2)) } ?? 1.0
            return quality > 0 ? (language, quality) : nil
        }
        // A stable sort keeps the header's order among equal q-values.
        return ranked.enumerated()
            .sorted { ($0.element.1, -$0.offset) > ($1.element.1, -$1.offset) }
            .first?.element.0
    }
}
