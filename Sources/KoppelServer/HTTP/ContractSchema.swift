import Foundation
import KoppelCore

/// One way a value breaks the contract: where (a JSON pointer) and what to send instead.
struct ContractViolation {
    enum Kind {
        /// Not the shape the API reads: a type, a required or unknown field, a value not in the list, a malformed id or day.
        case shape
        /// The right shape, outside a limit: too long or short, too many or few, too large or small.
        case limit
    }

    let kind: Kind
    let message: String
}

/// The part of JSON Schema that Koppel's contract uses (type, enum, lengths, patterns, bounds, items, properties and how
/// many, required, formats uuid and date, `$ref`), checked against a decoded JSON value. The schema is read once, when
/// made: its `$ref`s followed and its keywords cast, so a check walks the value and not the document's dictionaries.
struct ContractSchema: @unchecked Sendable {  // read-only after init
    /// One node of the schema with what it asks for.
    final class Node {
        enum Additional { case allowed, forbidden, schema(Node) }

        var types: [String] = []
        /// The allowed values as text (`"\(value)"`), which the value's own text is compared with.
        var enumValues: [String]?
        var maxLength: Int?
        var minLength: Int?
        /// The pattern, compiled, and what a message says a value must be.
        var pattern: (expression: NSRegularExpression, form: String)?
        var format: String?
        var maximum: Double?
        var minimum: Double?
        var maxItems: Int?
        var minItems: Int?
        var uniqueItems = false
        var items: Node?
        var minProperties: Int?
        var required: [String] = []
        var properties: [String: Node] = [:]
        var additional = Additional.allowed
    }

    let definitions: [String: Any]
    let root: Node

    init(node: [String: Any], definitions: [String: Any], patterns: [String: NSRegularExpression]) {
        self.definitions = definitions
        root = Reader(definitions: definitions, patterns: patterns).node(node)
    }

    /// What is wrong with `value`, at most a few, each as "`/path`: what to send".
    func violations(of value: JSONValue, at path: String = "") -> [ContractViolation] {
        violations(of: value, at: path, root)
    }

    private func violations(of value: JSONValue, at path: String, _ node: Node) -> [ContractViolation] {
        if case .null = value {
            return node.types.contains("null") || node.types.isEmpty ? [] : [.init(kind: .shape, message: "\(name(path)) may not be null.")]
        }
        let types = node.types.filter { $0 != "null" }
        if !types.isEmpty, !types.contains(where: { Self.value(value, is: $0) }) {
            return [.init(kind: .shape, message: "\(name(path)) must be \(types.map(Self.article).joined(separator: " or ")).")]
        }
        var found: [ContractViolation] = []
        if let allowed = node.enumValues, !allowed.contains(value.text) {
            found.append(.init(kind: .shape, message: "\(name(path)) is '\(value.text)'; it must be one of \(allowed.joined(separator: ", "))."))
        }
        switch value {
        case .string(let text): found += violations(ofText: text, node, path)
        case .number(let number): found += violations(ofNumber: number, node, path)
        case .array(let items): found += violations(ofItems: items, node, path)
        case .object(let object): found += violations(ofObject: object, node, path)
        case .null, .bool: break
        }
        return found
    }

    private func violations(ofText text: String, _ node: Node, _ path: String) -> [ContractViolation] {
        var found: [ContractViolation] = []
        if node.maxLength != nil || node.minLength != nil {
            let length = text.unicodeScalars.count
            if let most = node.maxLength, length > most {
                found.append(.init(kind: .limit, message: "\(name(path)) may have at most \(most) characters (it has \(length))."))
            }
            if let least = node.minLength, length < least {
                found.append(.init(kind: .limit, message: "\(name(path)) must have at least \(least) character\(least == 1 ? "" : "s")."))
            }
        }
        if let (expression, form) = node.pattern, expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
            found.append(.init(kind: .limit, message: "\(name(path)) is '\(text.prefix(60))'; \(form)"))
        }
        switch node.format {
        case "uuid" where !Self.isUUID(text):
            found.append(.init(kind: .shape, message: "\(name(path)) is '\(text.prefix(60))', not an id; ids are UUIDs."))
        case "date" where !CalendarDay.isValid(text):
            found.append(.init(kind: .shape, message: "\(name(path)) must be a day written as YYYY-MM-DD, such as 2026-03-01."))
        default:
            break
        }
        return found
    }

    private func violations(ofNumber number: Double, _ node: Node, _ path: String) -> [ContractViolation] {
        var found: [ContractViolation] = []
        if let most = node.maximum, number > most {
            found.append(.init(kind: .limit, message: "\(name(path)) may be at most \(Self.plain(most))."))
        }
        if let least = node.minimum, number < least {
            found.append(.init(kind: .limit, message: "\(name(path)) must be at least \(Self.plain(least))."))
        }
        return found
    }

    private func violations(ofItems items: [JSONValue], _ node: Node, _ path: String) -> [ContractViolation] {
        var found: [ContractViolation] = []
        if let most = node.maxItems, items.count > most {
            found.append(.init(kind: .limit, message: "\(name(path)) may list at most \(most) items."))
        }
        if let least = node.minItems, items.count < least {
            found.append(.init(kind: .limit, message: "\(name(path)) must list at least \(least)."))
        }
        if node.uniqueItems, Set(items.map { $0.text.lowercased() }).count < items.count {
            found.append(.init(kind: .limit, message: "\(name(path)) lists an item twice."))
        }
        if let schema = node.items {
            for (index, item) in items.enumerated() {
                found += violations(of: item, at: "\(path)/\(index)", schema)
                if found.count >= 5 { break }
            }
        }
        return found
    }

    private func violations(ofObject object: [String: JSONValue], _ node: Node, _ path: String) -> [ContractViolation] {
        var found: [ContractViolation] = []
        if let least = node.minProperties, object.count < least {
            let given = object.isEmpty ? "names no field" : "names \(object.count)"
            found.append(.init(kind: .limit, message: "\(name(path)) \(given); give at least \(least) field\(least == 1 ? "" : "s") to change."))
        }
        for key in node.required where object[key] == nil {
            found.append(.init(kind: .shape, message: "\(name(path + "/" + key)) is required."))
        }
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            if let schema = node.properties[key] {
                found += violations(of: value, at: path + "/" + key, schema)
            } else {
                switch node.additional {
                case .forbidden: found.append(.init(kind: .shape, message: "\(name(path + "/" + key)) is not a field the API knows."))
                case .schema(let schema): found += violations(of: value, at: path + "/" + key, schema)
                case .allowed: break
                }
            }
            if found.count >= 5 { break }
        }
        return found
    }

    /// Reads a schema's nodes once; a `$ref` to the same definition is the same node, so a schema may refer to itself.
    private final class Reader {
        let definitions: [String: Any]
        let patterns: [String: NSRegularExpression]
        var read: [String: Node] = [:]

        init(definitions: [String: Any], patterns: [String: NSRegularExpression]) {
            self.definitions = definitions
            self.patterns = patterns
        }

        func node(_ given: [String: Any]) -> Node {
            let (definition, keywords) = ContractSchema.following(given, in: definitions)
            if let definition, let known = read[definition] { return known }
            let node = Node()
            if let definition { read[definition] = node }
            node.types = (keywords["type"] as? String).map { [$0] } ?? keywords["type"] as? [String] ?? []
            node.enumValues = (keywords["enum"] as? [Any])?.map { "\($0)" }
            node.maxLength = keywords["maxLength"] as? Int
            node.minLength = keywords["minLength"] as? Int
            if let pattern = keywords["pattern"] as? String, let expression = patterns[pattern] {
                let form = (keywords["description"] as? String).map { $0.prefix(1).lowercased() + $0.dropFirst() } ?? "it must match \(pattern)."
                node.pattern = (expression, form)
            }
            node.format = keywords["format"] as? String
            node.maximum = (keywords["maximum"] as? NSNumber)?.doubleValue
            node.minimum = (keywords["minimum"] as? NSNumber)?.doubleValue
            node.maxItems = keywords["maxItems"] as? Int
            node.minItems = keywords["minItems"] as? Int
            node.uniqueItems = keywords["uniqueItems"] as? Bool == true
            node.items = (keywords["items"] as? [String: Any]).map(self.node)
            node.minProperties = keywords["minProperties"] as? Int
            node.required = keywords["required"] as? [String] ?? []
            node.properties = (keywords["properties"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? [String: Any]).map(self.node) }
            if keywords["additionalProperties"] as? Bool == false {
                node.additional = .forbidden
            } else if let schema = keywords["additionalProperties"] as? [String: Any] {
                node.additional = .schema(self.node(schema))
            }
            return node
        }
    }

    /// The node a `$ref` points to (`#/components/schemas/Name`), followed as far as it goes.
    func resolved(_ node: [String: Any]) -> [String: Any] {
        Self.following(node, in: definitions).keywords
    }

    /// The definition a node's `$ref`s lead to (its name, if it has one) and its keywords.
    static func following(_ node: [String: Any], in definitions: [String: Any]) -> (definition: String?, keywords: [String: Any]) {
        var node = node
        var definition: String?
        var hops = 0
        while let reference = node["$ref"] as? String, hops < 20, let name = reference.split(separator: "/").last,
            let target = definitions[String(name)] as? [String: Any]
        {
            node = target
            definition = String(name)
            hops += 1
        }
        return (definition, node)
    }

    private func name(_ path: String) -> String { path.isEmpty ? "The body" : "`\(path)`" }

    static func value(_ value: JSONValue, is type: String) -> Bool {
        switch (type, value) {
        case ("string", .string), ("boolean", .bool), ("number", .number), ("array", .array), ("object", .object): true
        case ("integer", .number(let number)): number.rounded() == number && abs(number) <= 9_007_199_254_740_991
        case ("string", _), ("boolean", _), ("number", _), ("array", _), ("object", _), ("integer", _): false
        default: true
        }
    }

    /// Written as a UUID: 36 characters, hex digits with hyphens after the 8th, 12th, 16th and 20th. Stricter than
    /// `UUID(uuidString:)`, which reads a space or a sign inside a group as another id, and without its `sscanf`,
    /// which was a third of a body's check.
    static func isUUID(_ text: String) -> Bool {
        var count = 0
        for byte in text.utf8 {
            let hyphen = count == 8 || count == 13 || count == 18 || count == 23
            let hex = (48...57).contains(byte) || (65...70).contains(byte) || (97...102).contains(byte)  // 0-9, A-F, a-f
            guard hyphen ? byte == UInt8(ascii: "-") : hex else { return false }
            count += 1
            if count > 36 { return false }
        }
        return count == 36
    }

    private static func article(_ type: String) -> String {
        switch type {
        case "integer": "a whole number"
        case "array": "a list"
        case "object": "an object"
        case "boolean": "true or false"
        default: "a \(type)"
        }
    }

    private static func plain(_ number: Double) -> String {
        number.rounded() == number ? String(Int(number)) : String(number)
    }
}
