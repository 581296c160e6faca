import Foundation

/// What a client asked of a list in the HSDS directory (`/hsds/services?search=…&page=…`), checked before anything is
/// looked up: every value from a client is read here into a typed value within bounds, or refused with a message that
/// says what to send instead. Nothing unchecked reaches the database.
public struct DirectoryQuery: Sendable, Hashable {
    public static let defaultPerPage = 50
    public static let maximumPerPage = 100
    public static let maximumPage = 100_000
    public static let maximumSearchLength = 200

    /// Words to look for in names and descriptions; nil for everything.
    public var search: String?
    /// 1 for the first page.
    public var page: Int
    public var perPage: Int
    /// Only what changed at or after this moment.
    public var modifiedAfter: Date?
    /// Only the services of this organisation (`/services?organization_id=`).
    public var organisation: UUID?

    public init(search: String? = nil, page: Int = 1, perPage: Int = defaultPerPage, modifiedAfter: Date? = nil, organisation: UUID? = nil) {
        self.search = search
        self.page = page
        self.perPage = perPage
        self.modifiedAfter = modifiedAfter
        self.organisation = organisation
    }

    /// How many entries come before this page.
    public var offset: Int { (page - 1) * perPage }

    /// Reads a query's parameters (each name with every value given). `accepting` names the parameters this list takes
    /// beyond page, per_page, search and modified_after; any other is refused rather than silently ignored, so a
    /// client never mistakes an unfiltered list for a filtered one.
    public static func parse(_ parameters: [String: [String]], accepting extra: Set<String> = []) -> Result<DirectoryQuery, DirectoryQueryError> {
        let known = Set(["page", "per_page", "search", "modified_after", "format"]).union(extra)
        if let unknown = parameters.keys.sorted().first(where: { !known.contains($0) }) {
            return .failure(.init("'\(unknown)' is not a filter this list takes; use \(known.sorted().joined(separator: ", "))."))
        }
        if let twice = parameters.keys.sorted().first(where: { (parameters[$0]?.count ?? 0) > 1 }) {
            return .failure(.init("'\(twice)' is given more than once; give it once."))
        }
        func value(_ name: String) -> String? { parameters[name]?.first }
        var query = DirectoryQuery()
        if let format = value("format"), format != "json" {
            return .failure(.init("format '\(format.prefix(20))' is not served here; leave it out or ask for format=json."))
        }
        if let text = value("page") {
            guard let page = Int(text), (1...maximumPage).contains(page) else {
                return .failure(.init("page must be a whole number from 1 to \(maximumPage); the first page is 1."))
            }
            query.page = page
        }
        if let text = value("per_page") {
            guard let perPage = Int(text), (1...maximumPerPage).contains(perPage) else {
                return .failure(.init("per_page must be a whole number from 1 to \(maximumPerPage) (\(defaultPerPage) when left out)."))
            }
            query.perPage = perPage
        }
        if let text = value("search") {
            let words = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard words.unicodeScalars.count <= maximumSearchLength else {
                return .failure(.init("search may have at most \(maximumSearchLength) characters."))
            }
            guard !words.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                return .failure(.init("search may not hold control characters."))
            }
            query.search = words.isEmpty ? nil : words
        }
        if let text = value("modified_after") {
            guard let moment = DirectoryTime.moment(text) else {
                return .failure(.init("modified_after must be a date-time with its offset, such as 2026-03-01T09:00:00Z or 2026-03-01T10:00:00+01:00, or a day such as 2026-03-01 (from midnight in Amsterdam)."))
            }
            query.modifiedAfter = moment
        }
        if extra.contains("organization_id"), let text = value("organization_id") {
            guard let id = UUID(uuidString: text) else { return .failure(.init("organization_id must be an organization's id, a UUID.")) }
            query.organisation = id
        }
        return .success(query)
    }
}

/// Why a directory query was refused: a sentence saying what to send instead.
public struct DirectoryQueryError: Error, Sendable, Hashable {
    public let message: String

    public init(_ message: String) { self.message = message }
}
