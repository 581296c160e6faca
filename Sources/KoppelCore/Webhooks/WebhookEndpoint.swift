import Foundation

/// Where a partner's system may be sent events: the rule against server-side request forgery (decision 0016). An
/// endpoint is `https://` (plain `http://` only where a setting allows it, for a receiver on the test machine), has no
/// credentials in it, and every address its host resolves to is public: loopback, private, link-local (the cloud
/// metadata address among them), shared, multicast and reserved ranges are refused unless a setting allows them.
public struct WebhookEndpointPolicy: Sendable {
    public var allowPlainHTTP: Bool
    public var allowPrivateAddresses: Bool

    public init(allowPlainHTTP: Bool = false, allowPrivateAddresses: Bool = false) {
        self.allowPlainHTTP = allowPlainHTTP
        self.allowPrivateAddresses = allowPrivateAddresses
    }

    public static let maximumLength = 2000

    /// What is wrong with an endpoint URL as written, or nil; its addresses are checked when it is resolved.
    public func problem(with text: String) -> String? {
        guard text.count <= Self.maximumLength, let components = URLComponents(string: text), let scheme = components.scheme?.lowercased()
        else { return "url must be an absolute https:// URL of at most \(Self.maximumLength) characters." }
        guard scheme == "https" || (scheme == "http" && allowPlainHTTP) else {
            return allowPlainHTTP ? "url must start with https:// or http://." : "url must start with https://; events are sent encrypted only."
        }
        guard let host = components.host, !host.isEmpty else { return "url must name a host, such as https://partner.example/koppel." }
        guard components.user == nil, components.password == nil else { return "url must not carry a user name or password; events are signed instead." }
        guard components.fragment == nil else { return "url must not have a #fragment." }
        if let address = IPAddress(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))), let reason = refusal(of: address) {
            return "url points at \(reason); use a public address."
        }
        return nil
    }

    /// Why an address may not be sent to, or nil when it may.
    public func refusal(of address: IPAddress) -> String? {
        guard !allowPrivateAddresses else { return nil }
        let address = address.unmapped
        return Self.refused.first { $0.range.contains(address) }?.reason
    }

    private static let refused: [(range: IPRange, reason: String)] = [
        ("0.0.0.0/8", "an unspecified address"), ("10.0.0.0/8", "a private address"), ("100.64.0.0/10", "a shared (carrier) address"),
        ("127.0.0.0/8", "a loopback address"), ("169.254.0.0/16", "a link-local address (where cloud metadata lives)"),
        ("172.16.0.0/12", "a private address"), ("192.0.0.0/24", "a reserved address"), ("192.168.0.0/16", "a private address"),
        ("198.18.0.0/15", "a benchmarking address"), ("224.0.0.0/4", "a multicast address"), ("240.0.0.0/4", "a reserved address"),
        ("::/128", "an unspecified address"), ("::1/128", "a loopback address"), ("64:ff9b::/96", "a translated address"),
        ("fc00::/7", "a private address"), ("fe80::/10", "a link-local address"), ("ff00::/8", "a multicast address"),
    ].map { (IPRange($0.0)!, $0.1) }
}
