import Foundation
import KoppelAPI
import Testing
import Yams

/// The contract declares a limit for everything a client may send, so that `ContractValidator` enforces one: no
/// string without a length (or a list of values or a format the validator checks: uuid, date), no list without a size.
@Suite("The contract limits every input")
struct ContractLimitsTests {
    @Test("every string a request may carry has maxLength, enum or a format; every array has maxItems")
    func everyInputBounded() throws {
        let document = try #require(try Yams.load(yaml: APIContract.yaml) as? [String: Any])
        let components = document["components"] as? [String: Any] ?? [:]
        let schemas = components["schemas"] as? [String: Any] ?? [:]
        let parameters = components["parameters"] as? [String: Any] ?? [:]
        var unbounded: [String] = []
        func resolve(_ node: [String: Any]) -> [String: Any] {
            guard let reference = node["$ref"] as? String, let name = reference.split(separator: "/").last else { return node }
            return resolve(schemas[String(name)] as? [String: Any] ?? parameters[String(name)] as? [String: Any] ?? [:])
        }
        func walk(_ raw: [String: Any], _ path: String) {
            let node = resolve(raw)
            switch node["type"] as? String {
            case "string":
                if node["maxLength"] == nil && node["enum"] == nil && !["uuid", "date", "date-time"].contains(node["format"] as? String ?? "") {
                    unbounded.append(path)
                }
            case "array":
                if node["maxItems"] == nil { unbounded.append(path) }
                walk(node["items"] as? [String: Any] ?? [:], path + "[]")
            default:
                for (key, value) in node["properties"] as? [String: Any] ?? [:] { walk(value as? [String: Any] ?? [:], path + "." + key) }
            }
        }
        for (path, item) in document["paths"] as? [String: Any] ?? [:] {
            for (method, value) in item as? [String: Any] ?? [:] {
                guard let operation = value as? [String: Any] else { continue }
                for parameter in operation["parameters"] as? [[String: Any]] ?? [] {
                    let resolved = resolve(parameter)
                    walk(resolved["schema"] as? [String: Any] ?? [:], "\(method) \(path) \(resolved["name"] ?? "")")
                }
                let content = (operation["requestBody"] as? [String: Any])?["content"] as? [String: Any] ?? [:]
                for (type, body) in content {
                    walk((body as? [String: Any])?["schema"] as? [String: Any] ?? [:], "\(method) \(path) \(type)")
                }
            }
        }
        #expect(unbounded.isEmpty, "\(unbounded.sorted())")
    }
}
