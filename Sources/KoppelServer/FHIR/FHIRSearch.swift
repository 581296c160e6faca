import Foundation
import Hummingbird
import KoppelCore
import KoppelStore

/// The search parameters of a FHIR search, checked: an unknown parameter or a value Koppel cannot read is refused with
/// the parameter's name, never ignored (a search that silently ignores a filter returns more than was asked for).
struct FHIRSearch {
    let values: [String: String]
    /// Parameters any search takes and that change nothing in what Koppel answers.
    static let ignored: Set<String> = ["_format", "_pretty"]

    init(_ request: Request, resource: String, allowed: Set<String>) throws {
        var values: [String: String] = [:]
        for (name, value) in request.uri.queryParameters {
            let name = String(name)
            if Self.ignored.contains(name) { continue }
            guard allowed.contains(name) || name == "_count" || name == "_cursor" else {
                throw FHIRInvalid(
                    kind: .structure, path: "\(resource)?\(name.prefix(40))", key: "search_parameter",
                    arguments: ["allowed": (allowed.sorted() + ["_count"]).joined(separator: ", ")])
            }
            guard values[name] == nil else { throw FHIRInvalid(kind: .structure, path: "\(resource)?\(name)", key: "search_twice") }
            values[name] = String(value)
        }
        self.values = values
    }

    func count() throws -> Int {
        guard let text = values["_count"] else { return 20 }
        guard let count = Int(text), (1...100).contains(count) else { throw FHIRInvalid(kind: .structure, path: "_count", key: "count") }
        return count
    }

    func cursor() throws -> ReferralCursor? {
        guard let text = values["_cursor"] else { return nil }
        guard let cursor = ReferralCursor(token: text) else { throw FHIRInvalid(kind: .structure, path: "_cursor", key: "cursor") }
        return cursor
    }

    /// For a short list paged by position: where the page starts.
    func offset() throws -> Int {
        guard let text = values["_cursor"] else { return 0 }
        guard let offset = Int(text), (0...10_000).contains(offset) else { throw FHIRInvalid(kind: .structure, path: "_cursor", key: "cursor") }
        return offset
    }

    /// The id in `Type/id` or a bare id.
    func id(_ name: String, type: String) throws -> UUID? {
        guard let text = values[name] else { return nil }
        let bare = text.hasPrefix(type + "/") ? String(text.dropFirst(type.count + 1)) : text
        guard let id = UUID(uuidString: bare) else {
            throw FHIRInvalid(kind: .structure, path: name, key: "search_reference", arguments: ["type": type])
        }
        return id
    }

    /// `_lastUpdated` as a lower bound: `geYYYY-MM-DD`, `gt…`, or a full time after the prefix.
    func lastUpdated() throws -> Date? {
        guard let text = values["_lastUpdated"] else { return nil }
        let prefix = text.prefix(2)
        guard prefix == "ge" || prefix == "gt" else { throw FHIRInvalid(kind: .structure, path: "_lastUpdated", key: "last_updated") }
        let value = String(text.dropFirst(2))
        if let day = try? Date(value + "T00:00:00Z", strategy: .iso8601), value.count == 10 { return day }
        guard let time = FHIRTime.date(value) else { throw FHIRInvalid(kind: .structure, path: "_lastUpdated", key: "last_updated") }
        return time
    }

    /// A token parameter's values (comma-separated), each one of `known`.
    func tokens(_ name: String, known: Set<String>) throws -> Set<String>? {
        guard let text = values[name] else { return nil }
        let tokens = Set(text.split(separator: ",").map(String.init))
        guard !tokens.isEmpty, tokens.isSubset(of: known) else {
            throw FHIRInvalid(kind: .structure, path: name, key: "search_token", arguments: ["codes": known.sorted().joined(separator: ", ")])
        }
        return tokens
    }

    /// A searchset Bundle of `resources`, with a next link when there is more.
    static func bundle(_ resources: [FHIRResource], base: String, request: Request, next cursor: String?) -> FHIRResource {
        let path = request.uri.path
        let query = request.uri.query.map { "?" + $0 } ?? ""
        var links: [[String: Any]] = [["relation": "self", "url": base + path + query]]
        if let cursor {
            var items = (request.uri.query ?? "").split(separator: "&").filter { !$0.hasPrefix("_cursor=") }.map(String.init)
            items.append("_cursor=\(cursor)")
            links.append(["relation": "next", "url": base + path + "?" + items.joined(separator: "&")])
        }
        return [
            "resourceType": "Bundle", "type": "searchset", "timestamp": FHIRTime.string(WallClock.current.now()), "link": links,
            "entry": resources.map { resource -> [String: Any] in
                ["fullUrl": "\(base)\(FHIRDoor.base)/\(resource["resourceType"]!)/\(resource["id"]!)", "resource": resource, "search": ["mode": "match"]]
            },
        ]
    }
}
