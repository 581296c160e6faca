import Foundation

/// Writes a FHIR resource as compact JSON, keys sorted. Foundation's JSONSerialization bridged every dictionary to
/// NSDictionary and sorted keys through ICU: 70% of the FHIR door's CPU in a search (docs/benchmarks.md). Empty
/// arrays, objects and strings are left out, as FHIR JSON has none.
enum FHIRJSONWriter {
    static func data(_ resource: FHIRResource) -> Data {
        var out = ""
        out.reserveCapacity(4096)
        if !write(resource, into: &out) { out = "{}" }
        return Data(out.utf8)
    }

    /// Appends `value`; false (and nothing appended) when it is empty and so left out.
    private static func write(_ value: Any, into out: inout String) -> Bool {
        switch value {
        case let object as [String: Any]:
            var body = ""
            for key in object.keys.sorted() {
                var element = ""
                guard write(object[key]!, into: &element) else { continue }
                body += body.isEmpty ? "" : ","
                appendString(key, to: &body)
                body += ":" + element
            }
            guard !body.isEmpty else { return false }
            out += "{" + body + "}"
        case let array as [Any]:
            var body = ""
            for item in array {
                var element = ""
                guard write(item, into: &element) else { continue }
                body += body.isEmpty ? element : "," + element
            }
            guard !body.isEmpty else { return false }
            out += "[" + body + "]"
        case let text as String:
            guard !text.isEmpty else { return false }
            appendString(text, to: &out)
        case let flag as Bool:
            out += flag ? "true" : "false"
        case let number as Int:
            out += String(number)
        case let number as Double:
            out += String(number)
        default:
            return false
        }
        return true
    }

    private static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
