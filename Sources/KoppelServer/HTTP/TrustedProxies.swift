import Foundation
import KoppelCore

/// The load balancers in front of Koppel, and so which address a request comes from.
///
/// Behind a load balancer every request's TCP peer is the balancer: keyed by it, fifty failed sign-ins from
/// anyone would lock sign-in for everyone. The balancer names the client in `X-Forwarded-For`, but anyone can
/// send that header, so it counts only when the peer is a trusted proxy; then the client is the nearest address
/// in it, from the right, that is not a trusted proxy itself.
public struct TrustedProxies: Sendable, Equatable {
    /// No proxy is trusted: `X-Forwarded-For` is ignored.
    public static let none = TrustedProxies(ranges: [])

    let ranges: [IPRange]

    init(ranges: [IPRange]) {
        self.ranges = ranges
    }

    /// Reads a comma-separated list of addresses and ranges, such as `10.0.0.0/8, 192.0.2.7, fd00::/8`.
    public init(_ list: String) throws(Invalid) {
        var ranges: [IPRange] = []
        for entry in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            guard let range = IPRange(entry) else { throw Invalid(entry: entry) }
            ranges.append(range)
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
        guard !ranges.isEmpty, let peerAddress = IPAddress(peer), isTrusted(peerAddress) else { return peer }
        var client = peer
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            // A hop that is not an address is not a client either: keep the last one known.
            guard let address = IPAddress(hop) else { break }
            client = hop
            if !isTrusted(address) { break }
        }
        return client
    }

    private func isTrusted(_ address: IPAddress) -> Bool {
        ranges.contains { $0.contains(address) }
    }
}
