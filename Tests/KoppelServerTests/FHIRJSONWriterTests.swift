import Foundation
@testable import KoppelServer
import Testing

@Suite("FHIR JSON writer")
struct FHIRJSONWriterTests {
    @Test("writes what JSONSerialization reads back, keys sorted, strings escaped, empty elements left out")
    func roundTrip() throws {
        let resource: FHIRResource = [
            "resourceType": "Bundle", "total": 2, "active": true, "ratio": 0.5, "entry": [] as [Any], "meta": [:] as [String: Any],
            "text": "", "name": "Quote \" backslash \\ newline \n tab \t bell \u{7} slash / é 🙂",
            "link": [["relation": "self", "url": "https://x/fhir/r4/Task?_count=2"], ["relation": "", "url": ""]],
        ]
        let data = FHIRJSONWriter.data(resource)
        let text = String(decoding: data, as: UTF8.self)
        let back = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(back["name"] as? String == resource["name"] as? String)
        #expect(back["total"] as? Int == 2 && back["active"] as? Bool == true && back["ratio"] as? Double == 0.5)
        #expect(back["entry"] == nil && back["meta"] == nil && back["text"] == nil, "FHIR JSON has no empty elements")
        #expect((back["link"] as? [[String: String]])?.count == 1)
        #expect(text.hasPrefix("{\"active\":true,\"link\":"), "\(text)")
        #expect(text.contains("https://x/fhir/r4/Task?_count=2"), "slashes are not escaped")
    }
}
