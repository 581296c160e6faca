import Foundation
import HummingbirdBcrypt
import KoppelCore
import NIOPosix

/// bcrypt at cost 12, on NIO's thread pool so hashing never blocks an event loop.
public struct PasswordHasher: Sendable {
    public static let cost: UInt8 = 12
    /// A hash of nothing anyone knows, checked when an account does not exist, so that an unknown
    /// e-mail address takes as long to refuse as a wrong password.
    static let decoy = Bcrypt.hash("decoy password that matches nothing", cost: cost)

    public let rules: PasswordRules

    public init(rules: PasswordRules) {
        self.rules = rules
    }

    /// The rules with the bundled list of common passwords.
    public static func bundled() throws -> PasswordHasher {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt", subdirectory: "Data") else {
            throw CatalogueError.missing("Data/common-passwords.txt")
        }
        let words = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
        return PasswordHasher(rules: PasswordRules(commonPasswords: Set(words)))
    }

    public func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: Self.cost) }
    }

    /// Checks a password; with no hash (no such account) it spends the same time and answers false.
    public func verify(_ password: String, against hash: String?) async throws -> Bool {
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash ?? Self.decoy) }
        return hash != nil && matches
    }
}
