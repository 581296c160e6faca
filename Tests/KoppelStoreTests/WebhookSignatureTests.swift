import Foundation
import KoppelStore
import Testing

@Suite("Standard Webhooks signatures")
struct WebhookSignatureTests {
    @Test("the specification's own test vector gives the specification's signature")
    func specificationVector() throws {
        let key = try #require(WebhookSignature.key(of: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = WebhookSignature.sign(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Data(#"{"test": 2432232314}"#.utf8), key: key)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("a changed id, time or body gives another signature")
    func tamperingShows() throws {
        let key = try #require(WebhookSignature.key(of: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let body = Data(#"{"test": 2432232314}"#.utf8)
        let original = WebhookSignature.sign(id: "msg_1", timestamp: 1_614_265_330, body: body, key: key)
        #expect(WebhookSignature.sign(id: "msg_2", timestamp: 1_614_265_330, body: body, key: key) != original)
        #expect(WebhookSignature.sign(id: "msg_1", timestamp: 1_614_265_331, body: body, key: key) != original)
        #expect(WebhookSignature.sign(id: "msg_1", timestamp: 1_614_265_330, body: Data(#"{"test": 2432232315}"#.utf8), key: key) != original)
    }

    @Test("a new secret is whsec_ and the base64 of 32 random bytes, never the same twice")
    func newSecrets() throws {
        let first = WebhookSignature.newSecret()
        let second = WebhookSignature.newSecret()
        #expect(first.hasPrefix("whsec_") && first != second)
        #expect(Data(base64Encoded: String(first.dropFirst(6)))?.count == 32)
        #expect(WebhookSignature.key(of: "whsec_") == nil && WebhookSignature.key(of: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil)
    }
}
