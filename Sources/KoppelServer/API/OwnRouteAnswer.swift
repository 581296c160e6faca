import Foundation
import HTTPTypes
import Hummingbird

/// How the API's routes of Koppel's own (decision 0028) answer: JSON written by hand, or a problem document as the
/// generated server writes one (`APIWireFormat`: keys sorted, slashes unescaped).
enum OwnRouteAnswer {
    static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        response(status, "application/json", bytes)
    }

    static func problem(_ status: Int, _ problem: some Encodable) throws -> Response {
        response(.init(code: status), "application/problem+json", Array(try APIWireFormat.encoder.encode(problem)))
    }

    private static func response(_ status: HTTPResponse.Status, _ type: String, _ bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "\(type); charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
