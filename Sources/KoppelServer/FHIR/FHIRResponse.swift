import Foundation
import HTTPTypes
import Hummingbird
import KoppelUseCases

/// A FHIR resource as Koppel writes it: a JSON object. Built from dictionaries, as the resources are small and the
/// keys must be exactly FHIR's.
typealias FHIRResource = [String: Any]

/// Answers of the FHIR door: `application/fhir+json`, with the version as ETag and the change time as Last-Modified.
enum FHIRResponse {
    static let contentType = "application/fhir+json; fhirVersion=4.0"

    static func resource(_ resource: FHIRResource, status: HTTPResponse.Status = .ok, location: String? = nil) throws -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        if let meta = resource["meta"] as? [String: Any] {
            if let version = meta["versionId"] as? String { headers[.eTag] = "W/\"\(version)\"" }
            if let updated = meta["lastUpdated"] as? String, let date = FHIRTime.date(updated) {
                headers[.lastModified] = HTTPDate.string(date)
            }
        }
        if let location { headers[.location] = location }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try data(resource))))
    }

    static func data(_ resource: FHIRResource) throws -> Data {
        FHIRJSONWriter.data(resource)
    }
}

/// Times as FHIR writes `instant` and `dateTime`: RFC 3339 in UTC, whole seconds.
enum FHIRTime {
    static func string(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    static func date(_ text: String) -> Date? {
        try? Date(text, strategy: .iso8601)
    }
}

/// `Last-Modified` is written as an HTTP date (RFC 9110).
enum HTTPDate {
    static func string(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
