import Foundation
import KoppelCore

/// The UI strings of one language, loaded from `Catalogues/<code>.json` (nested objects of strings).
public struct Catalogue: Sendable {
    public let language: UILanguage
    /// Every string by its dotted key, `directory.title`.
    public let strings: [String: String]
    /// The same strings as nested dictionaries, for templates (`{{t.directory.title}}`). Immutable after loading.
    let tree: TemplateValue

    /// The string for `key`. A missing key shows as the key itself, which tests forbid.
    public func text(_ key: String) -> String {
        strings[key] ?? key
    }

    /// The string for `key` with `{name}` placeholders filled in.
    public func text(_ key: String, _ values: [String: String]) -> String {
        values.reduce(text(key)) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) }
    }

    init(language: UILanguage, json: Data) throws {
        guard let object = try JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw CatalogueError.notAnObject(language.rawValue)
        }
        var strings: [String: String] = [:]
        try Self.flatten(object, prefix: "", into: &strings, language: language)
        self.language = language
        self.strings = strings
        self.tree = TemplateValue(object)
    }

    private static func flatten(_ object: [String: Any], prefix: String, into strings: inout [String: String], language: UILanguage) throws {
        for (key, value) in object {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            switch value {
            case let text as String: strings[path] = text
            case let nested as [String: Any]: try flatten(nested, prefix: path, into: &strings, language: language)
            default: throw CatalogueError.notAString(language.rawValue, path)
            }
        }
    }
}

/// The catalogues of every UI language.
public struct Catalogues: Sendable {
    private let byLanguage: [UILanguage: Catalogue]

    public init(byLanguage: [UILanguage: Catalogue]) {
        self.byLanguage = byLanguage
    }

    /// Loads `nl.json` and `en.json` from the server's bundle.
    public static func bundled() throws -> Catalogues {
        var byLanguage: [UILanguage: Catalogue] = [:]
        for language in UILanguage.allCases {
            guard let url = Bundle.module.url(forResource: language.rawValue, withExtension: "json", subdirectory: "Catalogues") else {
                throw CatalogueError.missing(language.rawValue)
            }
            byLanguage[language] = try Catalogue(language: language, json: Data(contentsOf: url))
        }
        return Catalogues(byLanguage: byLanguage)
    }

    public subscript(language: UILanguage) -> Catalogue {
        byLanguage[language] ?? byLanguage[.default]!
    }
}

enum CatalogueError: Error, CustomStringConvertible {
    case missing(String)
    case notAnObject(String)
    case notAString(String, String)

    var description: String {
        switch self {
        case .missing(let code): "the UI catalogue \(code).json is missing"
        case .notAnObject(let code): "the UI catalogue \(code).json is not a JSON object"
        case .notAString(let code, let key): "\(key) in the UI catalogue \(code).json is not a string"
        }
    }
}

/// A value for a Mustache template. Templates need `Any`; this keeps it behind a Sendable, immutable wrapper.
struct TemplateValue: @unchecked Sendable {
    let value: Any

    init(_ value: Any) {
        self.value = value
    }
}
