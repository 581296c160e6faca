import KoppelServer
import Testing

@Suite("Which address a request comes from")
struct TrustedProxiesTests {
    let balancers = try! TrustedProxies("10.0.0.0/8, 192.0.2.7, fd00::/8")

    @Test("without trusted proxies X-Forwarded-For is ignored: a client cannot pick the address it is counted under")
    func ignoredByDefault() {
        #expect(TrustedProxies.none.clientAddress(peer: "198.51.100.9", forwardedFor: ["203.0.113.5"]) == "198.51.100.9")
        #expect(balancers.clientAddress(peer: "198.51.100.9", forwardedFor: ["203.0.113.5"]) == "198.51.100.9", "the peer is no balancer")
    }

    @Test("behind a trusted balancer the client is the nearest address, from the right, that is no balancer")
    func nearestUntrustedHop() {
        #expect(balancers.clientAddress(peer: "10.1.2.3", forwardedFor: ["203.0.113.5"]) == "203.0.113.5")
        // The client wrote a made-up address first; the balancer appended the real one.
        #expect(balancers.clientAddress(peer: "10.1.2.3", forwardedFor: ["1.2.3.4, 203.0.113.5"]) == "203.0.113.5")
        #expect(balancers.clientAddress(peer: "10.1.2.3", forwardedFor: ["1.2.3.4", "203.0.113.5, 192.0.2.7"]) == "203.0.113.5")
        #expect(balancers.clientAddress(peer: "fd12::1", forwardedFor: ["2001:db8::42"]) == "2001:db8::42")
        #expect(balancers.clientAddress(peer: "10.1.2.3", forwardedFor: []) == "10.1.2.3", "no header: the balancer itself")
        #expect(balancers.clientAddress(peer: "10.1.2.3", forwardedFor: ["10.9.9.9"]) == "10.9.9.9", "only balancers: the farthest")
        #expect(balancers.clientAddress(peer: "10.1.2.3", forwardedFor: ["203.0.113.5, unknown"]) == "10.1.2.3", "not an address")
    }

    @Test("ranges match by their prefix only")
    func ranges() throws {
        let narrow = try TrustedProxies("192.0.2.128/25")
        #expect(narrow.clientAddress(peer: "192.0.2.200", forwardedFor: ["203.0.113.5"]) == "203.0.113.5")
        #expect(narrow.clientAddress(peer: "192.0.2.100", forwardedFor: ["203.0.113.5"]) == "192.0.2.100")
        #expect(balancers.clientAddress(peer: "11.0.0.1", forwardedFor: ["203.0.113.5"]) == "11.0.0.1")
        #expect(balancers.clientAddress(peer: "fe00::1", forwardedFor: ["203.0.113.5"]) == "fe00::1")
    }

    @Test("a list entry that is no address or range is refused, named")
    func invalidEntries() {
        for entry in ["10.0.0.0/33", "balancer.example", "10.0.0/8", "fd00::/129", "10.0.0.1/x"] {
            #expect(throws: TrustedProxies.Invalid(entry: entry)) { try TrustedProxies("192.0.2.7, \(entry)") }
        }
        #expect((try? TrustedProxies(" ")) == TrustedProxies.none)
    }
}
