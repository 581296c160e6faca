import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The load balancers in front of Koppel, and so which address a request comes from.
///
/// Behind a load balancer every request's TCP peer is the balancer: keyed by it, fifty failed sign-ins from
/// anyone would lock sign-in for everyone. The balancer names the client in `X-Forwarded-For`, but anyone can
/// send that header, so it counts only when the peer is a trusted proxy; then the client is the nearest address
/// in it, from the right, that is not a trusted proxy itself.
public struct TrustedProxies: Sendable, Equatable {
    /// An address range: the first `prefixLength` bits of `network`.
    struct Range: Sendable, Equatable {
        var network: [UInt8]
        var prefixLength: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == network.count else { return false }
            var bits = prefixLength
            for (a, b) in zip(address, network) where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if a & mask != b & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    /// No proxy is trusted: `X-Forwarded-For` is ignored.
    public static let none = TrustedProxies(ranges: [])

    let ranges: [Range]

    init(ranges: [Range]) {
        self.ranges = ranges
    }

    /// Reads a comma-separated list of addresses and ranges, such as `10.0.0.0/8, 192.0.2.7, fd00::/8`.
    public init(_ list: String) throws(Invalid) {
        var ranges: [Range] = []
        for entry in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let network = Self.bytes(of: parts[0]) else { throw Invalid(entry: entry) }
            let bits = network.count * 8
            guard let prefixLength = parts.count == 2 ? Int(parts[1]) : bits, (0...bits).contains(prefixLength) else {
                throw Invalid(entry: entry)
            }
            ranges.append(Range(network: network, prefixLength: prefixLength))
        }
        self.ranges = ranges
    }

    /// An entry of the list that is neither an IP address nor a range.
    public struct Invalid: Error, Equatable {
        public let entry: String

        public init(entry: String) {
            self.entry = entry
        }
    }

    /// The client's address: the TCP peer, unless the peer is a trusted proxy and `X-Forwarded-For` (every
    /// value of the header, in order) names someone further out.
    public func clientAddress(peer: String, forwardedFor: [String]) -> String {
        // Most servers trust no proxy: every request comes this way, so answer before parsing anything.
        guard !ranges.isEmpty, let peerBytes = Self.bytes(of: peer), isTrusted(peerBytes) else { return peer }
        var client = peer
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            // A hop that is not an address is not a client either: keep the last one known.
            guard let bytes = Self.bytes(of: hop) else { break }
            client = hop
            if !isTrusted(bytes) { break }
        }
        return client
    }

    private func isTrusted(_ address: [UInt8]) -> Bool {
        ranges.contains { $0.contains(address) }
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address written as text; nil for anything else.
    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
