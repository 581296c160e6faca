import Foundation
import KoppelCore
import Testing

@Suite("Where webhooks may go, and when they are tried")
struct WebhookRuleTests {
    let strict = WebhookEndpointPolicy()

    @Test("an endpoint is https, names a host, and carries no credentials or fragment")
    func endpointShape() {
        #expect(strict.problem(with: "https://partner.example/koppel/events") == nil)
        #expect(strict.problem(with: "https://partner.example:8443/hook?tenant=7") == nil)
        #expect(strict.problem(with: "http://partner.example/hook")?.contains("https://") == true)
        #expect(strict.problem(with: "ftp://partner.example/hook") != nil)
        #expect(strict.problem(with: "partner.example/hook") != nil)
        #expect(strict.problem(with: "https:///hook")?.contains("host") == true)
        #expect(strict.problem(with: "https://user:secret@partner.example/hook")?.contains("password") == true)
        #expect(strict.problem(with: "https://partner.example/hook#x")?.contains("fragment") == true)
        #expect(strict.problem(with: "https://partner.example/" + String(repeating: "a", count: 2000)) != nil)
        #expect(WebhookEndpointPolicy(allowPlainHTTP: true).problem(with: "http://partner.example/hook") == nil)
    }

    @Test("addresses inside the network are refused, as literals and as resolved, unless a setting allows them",
          arguments: ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
                      "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::"])
    func insideAddresses(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(strict.refusal(of: address) != nil, "\(text) must be refused")
        let literal = text.contains(":") ? "[\(text)]" : text
        #expect(strict.problem(with: "https://\(literal)/hook") != nil, "\(literal) written in the URL must be refused")
        #expect(WebhookEndpointPolicy(allowPrivateAddresses: true).refusal(of: address) == nil)
    }

    @Test("public addresses may be sent to", arguments: ["93.184.216.34", "8.8.8.8", "2001:4860:4860::8888", "172.32.0.1", "192.169.0.1"])
    func publicAddresses(_ text: String) throws {
        #expect(strict.refusal(of: try #require(IPAddress(text))) == nil)
    }

    @Test("ranges hold exactly their addresses")
    func ranges() throws {
        let range = try #require(IPRange("172.16.0.0/12"))
        #expect(range.contains(try #require(IPAddress("172.31.255.255"))))
        #expect(!range.contains(try #require(IPAddress("172.32.0.0"))))
        #expect(!range.contains(try #require(IPAddress("::ffff:172.16.0.1"))), "an IPv6 address is not in an IPv4 range")
        #expect(IPRange("10.0.0.0/33") == nil)
        #expect(IPRange("") == nil && IPRange("/8") == nil)
        #expect(IPAddress("256.1.1.1") == nil)
        #expect(IPAddress("example.org") == nil)
    }

    @Test("the schedule: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each spread by at most a tenth, then dead")
    func schedule() {
        let failed = Date(timeIntervalSince1970: 1_800_000_000)
        let expected: [TimeInterval] = [5, 300, 1800, 7200, 18000, 36000, 36000]
        for (index, seconds) in expected.enumerated() {
            let attempts = index + 1
            let earliest = DeliverySchedule.nextAttempt(after: attempts, failedAt: failed, jitter: -1)!.timeIntervalSince(failed)
            let latest = DeliverySchedule.nextAttempt(after: attempts, failedAt: failed, jitter: 1)!.timeIntervalSince(failed)
            let middle = DeliverySchedule.nextAttempt(after: attempts, failedAt: failed, jitter: 0)!.timeIntervalSince(failed)
            #expect(middle == seconds)
            #expect(abs(earliest - seconds * 0.9) < 0.001 && abs(latest - seconds * 1.1) < 0.001)
        }
        #expect(DeliverySchedule.nextAttempt(after: 8, failedAt: failed, jitter: 0) == nil, "after the eighth try the delivery is dead")
        #expect(DeliverySchedule.nextAttempt(after: 0, failedAt: failed, jitter: 0) == nil)
        #expect(DeliverySchedule.nextAttempt(after: 1, failedAt: failed, jitter: 5)!.timeIntervalSince(failed) <= 5.5, "jitter is bounded")
    }

    @Test("every state a referral reaches has its event, except a draft, which never leaves the referrer")
    func eventPerState() {
        for state in ReferralState.allCases {
            let event = WebhookEventType.referral(reaching: state)
            #expect((event == nil) == (state == .draft), "\(state)")
        }
        let referralEvents = Set(ReferralState.allCases.compactMap(WebhookEventType.referral(reaching:)))
        #expect(referralEvents.count == ReferralState.allCases.count - 1, "each state its own event")
        #expect(!WebhookEventType.subscribable.contains(.ping))
    }
}
