import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
@_spi(Generated) import OpenAPIRuntime
import Yams

/// Holds every API request to the limits the contract (`openapi.yaml`) declares, before a handler sees it: lengths,
/// bounds, formats and enumerations of parameters and JSON bodies. The generated server decodes types but checks none
/// of these, so without this a limit could be declared and never enforced. One place, driven by the contract itself.
struct ContractValidator: @unchecked Sendable {  // read-only after init
    private struct Operation {
        let method: String
        let segments: [String]
        /// Per segment, whether it is a fixed word (`PathTemplate.shape`): worked out once, not per request.
        let shape: [Bool]
        /// name, where (`query`, `path`, `header`), schema with its `$ref` followed, read once; a header's field name.
        let parameters: [(name: String, location: String, schema: [String: Any], check: ContractSchema, field: HTTPField.Name?)]
        let body: ContractSchema?
        /// The media types of its successful answers: an `Accept` header must allow one of them.
        let answers: [String]
    }

    /// By their number of segments: a request is matched against the templates as long as its path only.
    private let operations: [Int: [Operation]]
    private let prefix: String

    init(yaml: String) throws {
        let document = try Yams.load(yaml: yaml) as? [String: Any] ?? [:]
        let components = document["components"] as? [String: Any] ?? [:]
        let definitions = components["schemas"] as? [String: Any] ?? [:]
        let patterns = try Self.patterns(in: document)
        let sharedParameters = components["parameters"] as? [String: Any] ?? [:]
        prefix = ((document["servers"] as? [[String: Any]])?.first?["url"] as? String) ?? ""
        var operations: [Operation] = []
        for (path, item) in document["paths"] as? [String: Any] ?? [:] {
            let item = item as? [String: Any] ?? [:]
            // Parameters of the path apply to each of its operations.
            let shared = item["parameters"] as? [[String: Any]] ?? []
            for (method, value) in item {
                guard let operation = value as? [String: Any], ["get", "post", "put", "patch", "delete"].contains(method) else { continue }
                let parameters = (shared + (operation["parameters"] as? [[String: Any]] ?? [])).compactMap { parameter -> (String, String, [String: Any])? in
                    var parameter = parameter
                    if let reference = parameter["$ref"] as? String, let name = reference.split(separator: "/").last {
                        parameter = sharedParameters[String(name)] as? [String: Any] ?? [:]
                    }
                    guard let name = parameter["name"] as? String, let location = parameter["in"] as? String,
                        var schema = parameter["schema"] as? [String: Any]
                    else { return nil }
                    // A message about the value quotes the parameter's description, when its schema has none.
                    if schema["description"] == nil { schema["description"] = parameter["description"] }
                    return (name, location, schema)
                }
                let content = (operation["requestBody"] as? [String: Any])?["content"] as? [String: Any]
                let body = (content?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
                let responses = operation["responses"] as? [AnyHashable: Any] ?? [:]
                let answers = Set(responses.filter { "\($0.key)".hasPrefix("2") }.flatMap {
                    (($0.value as? [String: Any])?["content"] as? [String: Any] ?? [:]).keys
                }).sorted()
                let segments = path.split(separator: "/").map(String.init)
                operations.append(Operation(
                    method: method.uppercased(), segments: segments, shape: PathTemplate.shape(segments),
                    parameters: parameters.map {
                        (name: $0.0, location: $0.1, schema: ContractSchema.following($0.2, in: definitions).keywords,
                         check: ContractSchema(node: $0.2, definitions: definitions, patterns: patterns),
                         field: $0.1 == "header" ? HTTPField.Name($0.0) : nil)
                    },
                    body: body.map { ContractSchema(node: $0, definitions: definitions, patterns: patterns) }, answers: answers))
            }
        }
        self.operations = Dictionary(grouping: operations) { $0.segments.count }
    }

    /// The problem with a request to the API, or nil when it keeps to the contract (or is not an API operation).
    func problem(for request: Request, body: ByteBuffer) -> Problem? {
        let path = request.uri.path
        guard path.hasPrefix(prefix + "/") else { return nil }
        // By bytes: counting and splitting a String by characters was most of the check's time for a read.
        let segments = path.utf8.dropFirst(prefix.utf8.count).split(separator: UInt8(ascii: "/")).map { String(decoding: $0, as: UTF8.self) }
        // HEAD runs the GET handler.
        let method = request.method == .head ? "GET" : request.method.rawValue
        guard let (operation, pathValues) = match(method, segments) else { return nil }
        var found: [ContractViolation] = []
        let query = Self.queryValues(request.uri.query ?? "")
        for parameter in operation.parameters {
            let values: [String] =
                switch parameter.location {
                case "path": pathValues[parameter.name].map { [$0] } ?? []
                case "query": query[parameter.name] ?? []
                case "header": parameter.field.map { request.headers[values: $0] } ?? []
                default: []
                }
            found += Self.violations(of: values, parameter.name, parameter.schema, parameter.check)
        }
        if !found.isEmpty { return Self.problem(.badRequest, found) }
        // Before the handler, so that a request whose answer the client would refuse changes nothing.
        if !operation.answers.isEmpty, request.headers[.accept] != nil, !operation.answers.contains(where: { Self.accepts(request, $0) }) {
            return .notAcceptable(operation.answers)
        }
        // The API reads a body without a Content-Type (or with a wildcard) as JSON. Checked as the handler's decoder
        // reads it, so a key given twice is judged by the value the handler gets.
        guard let schema = operation.body, body.readableBytes > 0 else { return nil }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)) else {
            // The handlers' decoder parses a number only when a field asks for it: a body with a number no Double
            // holds under a key they ignore would reach them unchecked. A body the handler would not read as JSON gets
            // its own answer there (415).
            return Self.readsAsJSON(request) ? .unreadableBody : nil
        }
        let problems = schema.violations(of: value)
        guard !problems.isEmpty else { return nil }
        // A body the API cannot read as such is malformed (400); one it reads but that is out of bounds, unprocessable (422).
        return Self.problem(problems.contains { $0.kind == .shape } ? .badRequest : .unprocessableContent, problems)
    }

    /// Whether the generated server reads the request's body as JSON: no Content-Type, or one that allows JSON.
    static func readsAsJSON(_ request: Request) -> Bool {
        let received = APIWireFormat.converter.extractContentTypeIfPresent(in: request.headers)
        return (try? APIWireFormat.converter.bestContentType(received: received, options: ["application/json"])) != nil
    }

    /// Whether the request's `Accept` header allows `mediaType`, read as the generated server reads it.
    private static func accepts(_ request: Request, _ mediaType: String) -> Bool {
        (try? APIWireFormat.converter.validateAcceptIfPresent(mediaType, in: request.headers)) != nil
    }

    private static func problem(_ status: HTTPResponse.Status, _ violations: [ContractViolation]) -> Problem {
        Problem(status: status, detail: violations.prefix(5).map(\.message).joined(separator: " ") + " See /openapi.yaml.")
    }

    /// The query's values by name, names and values percent-decoded as the generated server decodes them (so
    /// `?pro%67ramme=` is the `programme` it is to the handler).
    static func queryValues(_ query: String) -> [String: [String]] {
        var values: [String: [String]] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            values[decoded(parts[0]), default: []].append(parts.count > 1 ? decoded(parts[1]) : "")
        }
        return values
    }

    /// A parameter's values checked as the JSON value its schema describes (a list for an array, a number for an integer).
    private static func violations(of values: [String], _ name: String, _ node: [String: Any], _ validator: ContractSchema) -> [ContractViolation] {
        func typed(_ text: String, _ node: [String: Any]) -> JSONValue {
            switch node["type"] as? String {
            case "integer", "number": if let number = Double(text) { return .number(number) }
            case "boolean": if text == "true" || text == "false" { return .bool(text == "true") }
            default: break
            }
            return .string(text)
        }
        if node["type"] as? String == "array" {
            let items = validator.resolved(node["items"] as? [String: Any] ?? [:])
            return values.isEmpty ? [] : validator.violations(of: .array(values.map { typed($0, items) }), at: "/" + name)
        }
        return values.flatMap { validator.violations(of: typed($0, node), at: "/" + name) }
    }

    /// Every `pattern` anywhere in the document, compiled; a pattern that does not compile stops the server at start.
    private static func patterns(in node: Any) throws -> [String: NSRegularExpression] {
        var found: [String: NSRegularExpression] = [:]
        if let object = node as? [String: Any] {
            if let pattern = object["pattern"] as? String { found[pattern] = try NSRegularExpression(pattern: pattern) }
            for value in object.values { found.merge(try patterns(in: value)) { first, _ in first } }
        } else if let array = node as? [Any] {
            for value in array { found.merge(try patterns(in: value)) { first, _ in first } }
        }
        return found
    }

    /// The operation of the most literal path that fits (`PathTemplate`), if it has this method.
    private func match(_ method: String, _ segments: [String]) -> (Operation, [String: String])? {
        let fitting = (operations[segments.count] ?? []).filter { PathTemplate.fits($0.segments, shape: $0.shape, segments) }
        guard let shape = fitting.map(\.shape).min(by: PathTemplate.isMoreLiteral),
            let operation = fitting.first(where: { $0.shape == shape && $0.method == method })
        else { return nil }
        var values: [String: String] = [:]
        for (index, actual) in segments.enumerated() where !operation.shape[index] {
            let value = actual.utf8.contains(UInt8(ascii: "%")) ? actual.removingPercentEncoding ?? actual : actual
            values[String(operation.segments[index].dropFirst().dropLast())] = value
        }
        return (operation, values)
    }
}

extension Problem {
    /// A body sent as JSON that the contract's check cannot read.
    static let unreadableBody = Problem(
        status: .badRequest,
        detail: "The body is not JSON the API can read: check its syntax, and that every number is one a 64-bit float holds. See /openapi.yaml.")
}
