import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Yams

/// Holds every API request to the limits the contract (`openapi.yaml`) declares, before a handler sees it: lengths,
/// bounds, formats and enumerations of parameters and JSON bodies. The generated server decodes types but checks none
/// of these, so without this a limit could be declared and never enforced. One place, driven by the contract itself.
struct ContractValidator: @unchecked Sendable {  // read-only after init
    private struct Operation {
        let method: String
        let segments: [String]
        /// name, where (`query`, `path`, `header`), schema.
        let parameters: [(name: String, location: String, schema: [String: Any])]
        let body: [String: Any]?
    }

    private let operations: [Operation]
    private let definitions: [String: Any]
    private let prefix: String

    init(yaml: String) throws {
        let document = try Yams.load(yaml: yaml) as? [String: Any] ?? [:]
        let components = document["components"] as? [String: Any] ?? [:]
        definitions = components["schemas"] as? [String: Any] ?? [:]
        let sharedParameters = components["parameters"] as? [String: Any] ?? [:]
        prefix = ((document["servers"] as? [[String: Any]])?.first?["url"] as? String) ?? ""
        var operations: [Operation] = []
        for (path, item) in document["paths"] as? [String: Any] ?? [:] {
            for (method, value) in item as? [String: Any] ?? [:] {
                guard let operation = value as? [String: Any], ["get", "post", "put", "patch", "delete"].contains(method) else { continue }
                let parameters = (operation["parameters"] as? [[String: Any]] ?? []).compactMap { parameter -> (String, String, [String: Any])? in
                    var parameter = parameter
                    if let reference = parameter["$ref"] as? String, let name = reference.split(separator: "/").last {
                        parameter = sharedParameters[String(name)] as? [String: Any] ?? [:]
                    }
                    guard let name = parameter["name"] as? String, let location = parameter["in"] as? String,
                        let schema = parameter["schema"] as? [String: Any]
                    else { return nil }
                    return (name, location, schema)
                }
                let content = (operation["requestBody"] as? [String: Any])?["content"] as? [String: Any]
                let body = (content?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
                operations.append(Operation(
                    method: method.uppercased(), segments: path.split(separator: "/").map(String.init),
                    parameters: parameters.map { (name: $0.0, location: $0.1, schema: $0.2) }, body: body))
            }
        }
        // A path of fixed words wins over one with a parameter in its place (/clients/duplicate-check over /clients/{id}).
        self.operations = operations.sorted { $0.segments.filter { $0.hasPrefix("{") }.count < $1.segments.filter { $0.hasPrefix("{") }.count }
    }

    /// The problem with a request to the API, or nil when it keeps to the contract (or is not an API operation).
    func problem(for request: Request, body: ByteBuffer) -> Problem? {
        let path = request.uri.path
        guard path.hasPrefix(prefix + "/") else { return nil }
        let segments = path.dropFirst(prefix.count).split(separator: "/").map(String.init)
        guard let (operation, pathValues) = match(request.method.rawValue, segments) else { return nil }
        var found: [ContractViolation] = []
        let query = request.uri.queryParameters
        for parameter in operation.parameters {
            let values: [String] =
                switch parameter.location {
                case "path": pathValues[parameter.name].map { [$0] } ?? []
                case "query": query.getAll(parameter.name).map { String($0) }
                case "header": HTTPField.Name(parameter.name).map { request.headers[values: $0] } ?? []
                default: []
                }
            found += violations(of: values, parameter.name, parameter.schema)
        }
        if !found.isEmpty { return Self.problem(.badRequest, found) }
        guard let schema = operation.body, request.headers[.contentType]?.lowercased().contains("json") == true, body.readableBytes > 0,
            let value = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed])
        else { return nil }
        let problems = ContractSchema(node: schema, definitions: definitions).violations(of: value)
        guard !problems.isEmpty else { return nil }
        // A body the API cannot read as such is malformed (400); one it reads but that is out of bounds, unprocessable (422).
        return Self.problem(problems.contains { $0.kind == .shape } ? .badRequest : .unprocessableContent, problems)
    }

    private static func problem(_ status: HTTPResponse.Status, _ violations: [ContractViolation]) -> Problem {
        Problem(status: status, detail: violations.prefix(5).map(\.message).joined(separator: " ") + " See /openapi.yaml.")
    }

    /// A parameter's values checked as the JSON value its schema describes (a list for an array, a number for an integer).
    private func violations(of values: [String], _ name: String, _ schema: [String: Any]) -> [ContractViolation] {
        let validator = ContractSchema(node: schema, definitions: definitions)
        let node = validator.resolved(schema)
        func typed(_ text: String, _ node: [String: Any]) -> Any {
            switch node["type"] as? String {
            case "integer", "number": if let number = Double(text) { return NSNumber(value: number) }
            case "boolean": if text == "true" || text == "false" { return NSNumber(value: text == "true") }
            default: break
            }
            return text
        }
        if node["type"] as? String == "array" {
            let items = validator.resolved(node["items"] as? [String: Any] ?? [:])
            return values.isEmpty ? [] : validator.violations(of: values.map { typed($0, items) }, at: "/" + name)
        }
        return values.flatMap { validator.violations(of: typed($0, node), at: "/" + name) }
    }

    private func match(_ method: String, _ segments: [String]) -> (Operation, [String: String])? {
        for operation in operations where operation.method == method && operation.segments.count == segments.count {
            var values: [String: String] = [:]
            let fits = zip(operation.segments, segments).allSatisfy { template, actual in
                if template.hasPrefix("{"), template.hasSuffix("}") {
                    values[String(template.dropFirst().dropLast())] = actual.removingPercentEncoding ?? actual
                    return true
                }
                return template == actual
            }
            if fits { return (operation, values) }
        }
        return nil
    }
}
