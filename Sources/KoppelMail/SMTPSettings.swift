/// Where and how to deliver mail. Build it from a URL with `init(url:...)`.
public struct SMTPSettings: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public enum Security: Sendable, Equatable {
        /// `smtp://`: plain TCP upgraded with STARTTLS, which is required before AUTH or mail.
        case startTLS
        /// `smtps://`: TLS from the first byte.
        case implicitTLS
    }

    /// Certificates used to verify the server.
    public enum TrustRoots: Sendable, Equatable {
        /// The operating system's trust store.
        case system
        /// Only the CA certificates in this PEM file (e.g. a test CA or a private relay's CA).
        case pemFile(String)
    }

    public struct Timeouts: Sendable, Equatable {
        /// TCP connect, including name resolution.
        public var connect: Duration
        /// Waiting for one reply (the command and its reply, including a TLS handshake).
        public var reply: Duration
        /// Everything after the connect up to the server accepting the message.
        public var total: Duration

        public init(connect: Duration = .seconds(10), reply: Duration = .seconds(20), total: Duration = .seconds(30)) {
            self.connect = connect
            self.reply = reply
            self.total = total
        }
    }

    public let host: String
    public let port: Int
    public let security: Security
    public let credentials: SMTPCredentials?
    public let trustRoots: TrustRoots
    /// The name announced in EHLO/HELO.
    public let ehloName: String
    /// Lets a loopback test server skip STARTTLS, so AUTH and mail go in plaintext.
    /// Refused for any host other than localhost/127.0.0.0/8/::1.
    public let allowInsecurePlaintextForLoopbackTests: Bool
    public var timeouts: Timeouts

    /// - Parameter url: `smtp://user:password@host:port` (STARTTLS, default port 587) or
    ///   `smtps://user:password@host:port` (implicit TLS, default port 465). User and password
    ///   are percent-decoded; both may be omitted when the server needs no AUTH.
    public init(
        url: String,
        trustRoots: TrustRoots = .system,
        ehloName: String = "localhost",
        timeouts: Timeouts = Timeouts(),
        allowInsecurePlaintextForLoopbackTests: Bool = false
    ) throws(SMTPSettingsError) {
        let parsed = try SMTPURL(parsing: url)
        self.host = parsed.host
        self.port = parsed.port
        self.security = parsed.security
        self.credentials = parsed.credentials
        self.trustRoots = trustRoots
        self.ehloName = ehloName
        self.timeouts = timeouts
        self.allowInsecurePlaintextForLoopbackTests = allowInsecurePlaintextForLoopbackTests

        if case .pemFile(let path) = trustRoots, path.isEmpty {
            throw SMTPSettingsError("the trust roots PEM file path is empty; give a path or use .system")
        }
        guard SMTPSettings.isValidEHLOName(ehloName) else {
            throw SMTPSettingsError(
                "EHLO name '\(ehloName)' is not a host name or address literal (letters, digits, '-', '.', or [address])"
            )
        }
        if allowInsecurePlaintextForLoopbackTests && !SMTPSettings.isLoopback(host) {
            throw SMTPSettingsError(
                "allowInsecurePlaintextForLoopbackTests is only for loopback test servers, not for host '\(host)'"
            )
        }
    }

    /// The URL with the password replaced, plus the non-default options.
    public var description: String {
        let scheme = security == .startTLS ? "smtp" : "smtps"
        let user = credentials.map { "\($0.username):<redacted>@" } ?? ""
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var text = "\(scheme)://\(user)\(hostPart):\(port)"
        if case .pemFile(let path) = trustRoots { text += " trustRoots=\(path)" }
        if allowInsecurePlaintextForLoopbackTests { text += " allowInsecurePlaintextForLoopbackTests" }
        return text
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["settings": description]) }

    static func isLoopback(_ host: String) -> Bool {
        let lower = host.lowercased()
        if lower == "localhost" || lower == "::1" { return true }
        let octets = lower.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    static func isValidEHLOName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255 else { return false }
        if name.hasPrefix("[") && name.hasSuffix("]") {
            return name.utf8.dropFirst().dropLast().allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "]") }
        }
        return name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: ".")
        }
    }
}
