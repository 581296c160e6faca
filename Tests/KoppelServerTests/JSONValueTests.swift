import Foundation
import HTTPTypes
import Hummingbird
import KoppelAPI
import NIOCore
import Testing

@testable import KoppelServer

/// The value the contract's check walks (`JSONValue`) must be the value the handlers read, or a body could pass the
/// check with one value and reach the handler with another.
@Suite("The contract check's JSON value")
struct JSONValueTests {
    private struct Named: Decodable { let name: String }

    @Test("a key given twice is read as the handlers' decoder reads it, at any depth")
    func keyGivenTwice() throws {
        let body = Data(#"{"name": "first", "name": "second", "inner": {"name": "first", "name": "second"}}"#.utf8)
        let handlers = try JSONDecoder().decode(Named.self, from: body).name
        guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: body),
            case .string(let checked) = object["name"], case .object(let inner) = object["inner"], case .string(let innerChecked) = inner["name"]
        else { Issue.record("not read as an object with a name"); return }
        #expect(checked == handlers)
        #expect(innerChecked == handlers)
    }

    @Test("every JSON type is told apart: true is not 1, a list is not an object")
    func types() throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(#"[null, true, 1, 1.5, "1", [], {}]"#.utf8))
        guard case .array(let items) = value else { Issue.record("not a list"); return }
        #expect(items.map(\.text) == ["null", "true", "1", "1.5", "1", "[]", "{…}"])
        #expect(ContractSchema.value(items[1], is: "boolean") && !ContractSchema.value(items[1], is: "integer"))
        #expect(ContractSchema.value(items[2], is: "integer") && !ContractSchema.value(items[3], is: "integer"))
        #expect(!ContractSchema.value(items[4], is: "number") && !ContractSchema.value(items[5], is: "object"))
    }

    @Test("a value read by JSONSerialization (an HSDS file) keeps true apart from 1")
    func fromFoundation() throws {
        let object = try JSONSerialization.jsonObject(with: Data(#"{"flag": true, "count": 1}"#.utf8))
        guard case .object(let values) = JSONValue(foundation: object) else { Issue.record("not an object"); return }
        #expect(values["flag"]?.text == "true")
        #expect(values["count"]?.text == "1")
    }

    @Test("an id is a UUID written out in full: what it accepts, UUID(uuidString:) reads too")
    func uuids() {
        let written = ["c82b032e-640b-4d24-84ec-398d33a34a5e", "C82B032E-640B-4D24-84EC-398D33A34A5E"]
        let refused = [
            // Foundation reads these (a space or a sign inside a group) as other ids; the contract does not.
            "c82b032e-640b-4d24-84ec- 98d33a34a5e", "c82b032e-640b-4d24-84ec-+98d33a34a5e", " c82b032e-640b-4d24-84ec-398d33a34a5",
            "c82b032e-640b-4d24-84ec-398d33a34a5", "c82b032e-640b-4d24-84ec-398d33a34a5e0", "c82b032e0640b-4d24-84ec-398d33a34a5e",
            "g82b032e-640b-4d24-84ec-398d33a34a5e", "c82b032e-640b-4d24-84ec-398d33a34a5é", "", "{c82b032e-640b-4d24-84ec-398d33a34a5e}",
        ]
        #expect(refused.prefix(3).allSatisfy { UUID(uuidString: $0) != nil }, "the premise: Foundation reads the first three")
        for sample in written {
            #expect(ContractSchema.isUUID(sample) && UUID(uuidString: sample) != nil, "\(sample)")
        }
        for sample in refused {
            #expect(!ContractSchema.isUUID(sample), "\(sample)")
        }
    }

    @Test("a body sent as JSON that the check cannot read (a number no double holds) is refused, not passed on unchecked; one not sent as JSON is the handler's to refuse")
    func unreadableBody() throws {
        let validator = try ContractValidator(yaml: APIContract.yaml)
        func problem(_ body: String, type: String?) -> Problem? {
            var fields: HTTPFields = [:]
            if let type { fields[.contentType] = type }
            let head = HTTPRequest(method: .patch, scheme: "http", authority: "localhost", path: "/api/v1/programmes/\(UUID())", headerFields: fields)
            return validator.problem(for: Request(head: head, body: .init(buffer: ByteBuffer())), body: ByteBuffer(string: body))
        }
        #expect(problem(#"{"places_total": 1e400}"#, type: "application/json")?.status == .badRequest)
        #expect(problem(#"{"places_total": 1e400}"#, type: nil)?.status == .badRequest, "no Content-Type is read as JSON")
        #expect(problem(#"{"places_total": 1e400}"#, type: "text/plain") == nil, "the handler answers 415")
        #expect(problem(#"{"places_total": 1}"#, type: "application/json") == nil)
    }
}
