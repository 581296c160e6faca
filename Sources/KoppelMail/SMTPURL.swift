import Foundation

/// The parts of an `smtp://` or `smtps://` URL.
///
/// Parsed by hand rather than with URLComponents so that each mistake gets its own
/// message, and so that a password with an unescaped `@` or `/` still works (we split
/// at the last `@`). Error messages never echo the user-info part.
struct SMTPURL: Equatable {
    var security: SMTPSettings.Security
    var host: String
    var port: Int
    var credentials: SMTPCredentials?

    init(parsing text: String) throws(SMTPSettingsError) {
        guard let separator = text.range(of: "://") else {
            throw SMTPSettingsError(
                "not a URL; expected smtp://user:password@host:port or smtps://user:password@host:port")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        switch scheme {
        case "smtp": (security, port) = (.startTLS, 587)
        case "smtps": (security, port) = (.implicitTLS, 465)
        default:
            throw SMTPSettingsError(
                "unsupported scheme '\(scheme)'; use smtp:// (STARTTLS, default port 587) or smtps:// (implicit TLS, default port 465)"
            )
        }

        var rest = text[separator.upperBound...]
        credentials = nil
        if let at = rest.lastIndex(of: "@") {
            credentials = try SMTPURL.parseCredentials(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }

        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let trailing = rest[authorityEnd...]
        guard trailing.isEmpty || trailing == "/" else {
            throw SMTPSettingsError("unexpected path or query '\(trailing)' after the host; remove it")
        }
        let (hostText, portText) = try SMTPURL.splitHostAndPort(rest[..<authorityEnd])
        host = try SMTPURL.validatedHost(hostText)
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw SMTPSettingsError("bad port '\(portText)'; it must be a number from 1 to 65535")
            }
            port = number
        }
    }

    private static func parseCredentials(_ userInfo: Substring) throws(SMTPSettingsError) -> SMTPCredentials {
        guard let colon = userInfo.firstIndex(of: ":") else {
            throw SMTPSettingsError("the URL has a user name but no password; write user:password@host")
        }
        guard let user = String(userInfo[..<colon]).removingPercentEncoding else {
            throw SMTPSettingsError("the user name is not valid percent-encoding; escape '%' as %25")
        }
        guard let password = String(userInfo[userInfo.index(after: colon)...]).removingPercentEncoding else {
            throw SMTPSettingsError("the password is not valid percent-encoding; escape '%' as %25")
        }
        guard !user.isEmpty else { throw SMTPSettingsError("the user name is empty; write user:password@host") }
        guard !password.isEmpty else { throw SMTPSettingsError("the password is empty; write user:password@host") }
        return SMTPCredentials(username: user, password: password)
    }

    /// Returns the host (IPv6 without brackets) and the port text, if a `:` was present.
    private static func splitHostAndPort(_ authority: Substring) throws(SMTPSettingsError) -> (Substring, Substring?) {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw SMTPSettingsError("IPv6 host is missing its closing ']'")
            }
            let host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { return (host, nil) }
            guard after.hasPrefix(":") else {
                throw SMTPSettingsError("unexpected text '\(after)' after the IPv6 host")
            }
            return (host, after.dropFirst())
        }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (parts[0], nil)
        case 2: return (parts[0], parts[1])
        default: throw SMTPSettingsError("too many ':' in host; put an IPv6 address in brackets: smtp://[::1]:587")
        }
    }

    private static func validatedHost(_ host: Substring) throws(SMTPSettingsError) -> String {
        guard !host.isEmpty else { throw SMTPSettingsError("missing host; write smtp://host:port") }
        let allowed = host.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "." || scalar == "_"
                    || scalar == ":")
        }
        guard allowed else {
            throw SMTPSettingsError("host '\(host)' has characters that are not allowed in a host name")
        }
        return String(host)
    }
}
