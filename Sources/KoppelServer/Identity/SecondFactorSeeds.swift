import Foundation
import KoppelStore

/// TOTP seeds as PostgreSQL keeps them: sealed under a key from the key file (`SecretSeal`), so neither the app role
/// nor a copy of the database can compute anyone's codes. A seed stored in plain text before sealing existed is
/// sealed at its owner's next successful code.
struct SecondFactorSeeds: Sendable {
    let seal: SecretSeal
    let users: UserStore

    init(keys: KeyRing, users: UserStore) {
        self.seal = SecretSeal(keys: keys, purpose: "totp-seed")
        self.users = users
    }

    /// The account's seed, opened; nil when it has none.
    func secret(of account: Account) throws -> String? {
        try account.totpSecret.map { try seal.open($0, owner: account.id) }
    }

    /// A new seed for enrolment, stored sealed; returns it for the QR code.
    func begin(for account: Account) async throws -> String {
        let secret = SecondFactor.newSecret()
        try await users.beginTOTPEnrolment(id: account.id, organisation: account.organisationID, secret: try seal.seal(secret, owner: account.id))
        return secret
    }

    /// Seals a seed still stored as plain text.
    func sealIfPlain(_ account: Account) async throws {
        guard let stored = account.totpSecret, !SecretSeal.isSealed(stored) else { return }
        try await users.restoreTOTPSecret(
            id: account.id, organisation: account.organisationID, from: stored, to: try seal.seal(stored, owner: account.id))
    }
}

extension SecondFactorSeeds {
    /// Seals every seed still stored as plain text, organisation by organisation: what each replica does once as it
    /// starts, so a seed from before sealing does not wait for its owner's next sign-in. Idempotent; replicas starting
    /// together change each seed once.
    func sealAllPlain(in organisations: OrganisationStore) async throws -> Int {
        var sealed = 0
        for organisation in try await organisations.all() {
            for account in try await users.accounts(organisation: organisation.id) where account.totpSecret.map({ !SecretSeal.isSealed($0) }) ?? false {
                try await sealIfPlain(account)
                sealed += 1
            }
        }
        return sealed
    }
}
