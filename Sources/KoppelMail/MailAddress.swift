/// A mailbox: an address and an optional display name.
///
/// Addresses are restricted to plain ASCII `local@domain` without quoting or comments
/// (we do not offer SMTPUTF8), which keeps them safe to put in both headers and the
/// SMTP envelope.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public let address: String
    public let displayName: String?

    public init(_ address: String, displayName: String? = nil) throws(MailMessageError) {
        try HeaderText.check(address, field: "address")
        if let displayName { try HeaderText.check(displayName, field: "display name of \(address)") }
        guard MailAddress.isValid(address) else {
            throw MailMessageError("'\(address)' is not a plain email address of the form local@domain.example")
        }
        self.address = address
        self.displayName = displayName?.isEmpty == true ? nil : displayName
    }

    /// The part after the `@`, used for the Message-ID.
    public var domain: Substring { address[address.index(after: address.lastIndex(of: "@")!)...] }

    public var description: String { displayName.map { "\($0) <\(address)>" } ?? address }

    private static let forbidden = Set("()<>[]\\,;:\"@ ".utf8)

    static func isValid(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, address.utf8.count <= 254 else { return false }
        let (local, domain) = (parts[0], parts[1])
        guard (1...64).contains(local.utf8.count), !domain.isEmpty else { return false }
        let printable = { (byte: UInt8) in byte > 0x20 && byte < 0x7F && !forbidden.contains(byte) }
        guard local.utf8.allSatisfy(printable), domain.utf8.allSatisfy(printable) else { return false }
        // No empty dot-separated pieces: ".a@x", "a..b@x", "a@x..y", "a@x." are all invalid.
        return !local.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty)
            && !domain.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty)
    }
}
