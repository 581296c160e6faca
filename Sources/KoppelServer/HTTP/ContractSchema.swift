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
/// many, required, formats uuid and date, `$ref`), checked against a decoded JSON value.
struct ContractSchema {
    let node: [String: Any]
    let definitions: [String: Any]
    /// Every pattern of the contract, compiled once.
    let patterns: [String: NSRegularExpression]

    /// What is wrong with `value`, at most a few, each as "`/path`: what to send".
    func violations(of value: Any, at path: String = "") -> [ContractViolation] {
        let node = resolved(self.node)
        var found: [ContractViolation] = []
        if value is NSNull {
            return allowedTypes(node).contains("null") || allowedTypes(node).isEmpty ? [] : [.init(kind: .shape, message: "\(name(path)) may not be null.")]
        }
        let types = allowedTypes(node).filter { $0 != "null" }
        if !types.isEmpty, !types.contains(where: { Self.value(value, is: $0) }) {
            return [.init(kind: .shape, message: "\(name(path)) must be \(types.map(Self.article).joined(separator: " or ")).")]
        }
        if let allowed = node["enum"] as? [Any], !allowed.contains(where: { "\($0)" == "\(value)" }) {
            found.append(.init(kind: .shape, message: "\(name(path)) is '\(value)'; it must be one of \(allowed.map { "\($0)" }.joined(separator: ", "))."))
        }
        if let text = value as? String { found += violations(ofText: text, node, path) }
        if let number = value as? NSNumber, !Self.isBoolean(number) { found += violations(ofNumber: number.doubleValue, node, path) }
        if let items = value as? [Any] { found += violations(ofItems: items, node, path) }
        if let object = value as? [String: Any] { found += violations(ofObject: object, node, path) }
        return found
    }

    private func violations(ofText text: String, _ node: [String: Any], _ path: String) -> [ContractViolation] {
        var found: [ContractViolation] = []
        let length = text.unicodeScalars.count
        if let most = node["maxLength"] as? Int, length > most {
            found.append(.init(kind: .limit, message: "\(name(path)) may have at most \(most) characters (it has \(length))."))
        }
        if let least = node["minLength"] as? Int, length < least {
            found.append(.init(kind: .limit, message: "\(name(path)) must have at least \(least) character\(least == 1 ? "" : "s")."))
        }
        if let pattern = node["pattern"] as? String, let expression = patterns[pattern],
            expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
        {
            let form = (node["description"] as? String).map { $0.prefix(1).lowercased() + $0.dropFirst() } ?? "it must match \(pattern)."
            found.append(.init(kind: .limit, message: "\(name(path)) is '\(text.prefix(60))'; \(form)"))
        }
        switch node["format"] as? String {
        case "uuid" where UUID(uuidString: text) == nil:
            found.append(.init(kind: .shape, message: "\(name(path)) is '\(text.prefix(60))', not an id; ids are UUIDs."))
        case "date" where !CalendarDay.isValid(text):
            found.append(.init(kind: .shape, message: "\(name(path)) must be a day written as YYYY-MM-DD, such as 2026-03-01."))
        default:
            break
        }
        return found
    }

    private func violations(ofNumber number: Double, _ node: [String: Any], _ path: String) -> [ContractViolation] {
        var found: [ContractViolation] = []
        if let most = (node["maximum"] as? NSNumber)?.doubleValue, number > most {
            found.append(.init(kind: .limit, message: "\(name(path)) may be at most \(Self.plain(most))."))
        }
        if let least = (node["minimum"] as? NSNumber)?.doubleValue, number < least {
            found.append(.init(kind: .limit, message: "\(name(path)) must be at least \(Self.plain(least))."))
        }
        return found
    }

    private func violations(ofItems items: [Any], _ node: [String: Any], _ path: String) -> [ContractViolation] {
        var found: [ContractViolation] = []
        if let most = node["maxItems"] as? Int, items.count > most {
            found.append(.init(kind: .limit, message: "\(name(path)) may list at most \(most) items."))
        }
        if let least = node["minItems"] as? Int, items.count < least {
            found.append(.init(kind: .limit, message: "\(name(path)) must list at least \(least)."))
        }
        if node["uniqueItems"] as? Bool == true, Set(items.map { "\($0)".lowercased() }).count < items.count {
            found.append(.init(kind: .limit, message: "\(name(path)) lists an item twice."))
        }
        if let schema = node["items"] as? [String: Any] {
            for (index, item) in items.enumerated() {
                found += ContractSchema(node: schema, definitions: definitions, patterns: patterns).violations(of: item, at: "\(path)/\(index)")
                if found.count >= 5 { break }
            }
        }
        return found
    }

    private func violations(ofObject object: [String: Any], _ node: [String: Any], _ path: String) -> [ContractViolation] {
        var found: [ContractViolation] = []
        if let least = node["minProperties"] as? Int, object.count < least {
            let given = object.isEmpty ? "names no field" : "names \(object.count)"
            found.append(.init(kind: .limit, message: "\(name(path)) \(given); give at least \(least) field\(least == 1 ? "" : "s") to change."))
        }
        for key in (node["required"] as? [String] ?? []) where object[key] == nil {
            found.append(.init(kind: .shape, message: "\(name(path + "/" + key)) is required."))
        }
        let properties = node["properties"] as? [String: Any] ?? [:]
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            if let schema = properties[key] as? [String: Any] {
                found += ContractSchema(node: schema, definitions: definitions, patterns: patterns).violations(of: value, at: path + "/" + key)
            } else if node["additionalProperties"] as? Bool == false {
                found.append(.init(kind: .shape, message: "\(name(path + "/" + key)) is not a field the API knows."))
            } else if let schema = node["additionalProperties"] as? [String: Any] {
                found += ContractSchema(node: schema, definitions: definitions, patterns: patterns).violations(of: value, at: path + "/" + key)
            }
            if found.count >= 5 { break }
        }
        return found
    }

    /// The node a `$ref` points to (`#/components/schemas/Name`), followed as far as it goes.
    func resolved(_ node: [String: Any]) -> [String: Any] {
        var node = node
        var hops = 0
        while let reference = node["$ref"] as? String, hops < 20, let name = reference.split(separator: "/").last,
            let target = definitions[String(name)] as? [String: Any]
        {
            node = target
            hops += 1
        }
        return node
    }

    private func allowedTypes(_ node: [String: Any]) -> [String] {
        if let type = node["type"] as? String { return [type] }
        return node["type"] as? [String] ?? []
    }

    private func name(_ path: String) -> String { path.isEmpty ? "The body" : "`\(path)`" }

    static func value(_ value: Any, is type: String) -> Bool {
        switch type {
        case "string": return value is String
        case "boolean": return (value as? NSNumber).map(isBoolean) ?? false
        case "integer":
            guard let number = value as? NSNumber, !isBoolean(number) else { return false }
            return number.doubleValue.rounded() == number.doubleValue && abs(number.doubleValue) <= 9_007_199_254_740_991
        case "number": return (value as? NSNumber).map { !isBoolean($0) } ?? false
        case "array": return value is [Any]
        case "object": return value is [String: Any]
        default: return true
        }
    }

    /// JSON's true and false, which JSONSerialization gives as NSNumber too (of type "c", which no JSON number gets).
    static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

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
