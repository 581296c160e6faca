import Foundation

/// Any JSON value, as the contract's check (`ContractSchema`) walks it: a switch over six cases, where walking
/// Foundation's `Any` cast every value to each type it might be.
enum JSONValue: Decodable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    /// Decoded by the decoder the handlers use, so that a key given twice is read as they read it (the first).
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Each type tried that does not fit is a thrown error: the likeliest in a request's body first.
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let object = try? decoder.container(keyedBy: Key.self) {
            // Through a keyed container, not as `[String: JSONValue]`: the same first value of a key given twice, without
            // a generic dictionary's decoding, which was most of a body's.
            var values: [String: JSONValue] = [:]
            for key in object.allKeys { values[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
            self = .object(values)
        } else if var items = try? decoder.unkeyedContainer() {
            var values: [JSONValue] = []
            while !items.isAtEnd { values.append(try items.decode(JSONValue.self)) }
            self = .array(values)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else {
            self = .bool(try container.decode(Bool.self))
        }
    }

    private struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// A value as `JSONSerialization` gives it (HSDS files, which are read with it).
    init(foundation value: Any) {
        switch value {
        case let text as String: self = .string(text)
        case let number as NSNumber: self = Self.isBoolean(number) ? .bool(number.boolValue) : .number(number.doubleValue)
        case let items as [Any]: self = .array(items.map(JSONValue.init(foundation:)))
        case let object as [String: Any]: self = .object(object.mapValues(JSONValue.init(foundation:)))
        default: self = .null
        }
    }

    /// The value as text, which an `enum`'s listed values and `uniqueItems` compare: a whole number without a fraction.
    var text: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .number(let value): value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .string(let value): value
        case .array(let values): "[" + values.map(\.text).joined(separator: ", ") + "]"
        case .object: "{…}"
        }
    }

    /// JSON's true and false, which JSONSerialization gives as NSNumber too (of type "c", which no JSON number gets).
    static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }
}
