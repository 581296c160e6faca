/// What makes a password acceptable: 8 to 128 characters and not a commonly used one.
/// No composition rules (NIST SP 800-63B): length and a blocklist protect better than forced symbols.
public struct PasswordRules: Sendable {
    public static let minimumLength = 8
    public static let maximumLength = 128

    /// Lower-cased common passwords.
    let commonPasswords: Set<String>

    public init(commonPasswords: Set<String>) {
        self.commonPasswords = Set(commonPasswords.map { $0.lowercased() })
    }

    public enum Problem: String, Sendable, Equatable, CustomStringConvertible {
        case tooShort, tooLong, common

        public var description: String {
            switch self {
            case .tooShort: "the password needs at least \(PasswordRules.minimumLength) characters"
            case .tooLong: "the password may have at most \(PasswordRules.maximumLength) characters"
            case .common: "this password is on a list of commonly used passwords; choose another"
            }
        }
    }

    /// Nil when the password is acceptable.
    public func problem(with password: String) -> Problem? {
        if password.count < Self.minimumLength { return .tooShort }
        if password.count > Self.maximumLength { return .tooLong }
        if commonPasswords.contains(password.lowercased()) { return .common }
        return nil
    }
}
