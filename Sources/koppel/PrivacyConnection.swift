import ArgumentParser
import KoppelStore
import Logging

/// The options of commands that act on clients as the privacy module does: the app role's URL, and the vault's.
struct PrivacyConnection: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp("PostgreSQL URL of the app role (koppel_app). [env: KOPPEL_DATABASE_URL]", valueName: "url"))
    var databaseURL: String?
    @OptionGroup var vault: VaultConnection

    func withPrivacy<T: Sendable>(logger: Logger, _ body: @Sendable (Privacy) async throws -> T) async throws -> T {
        try await withConnection(flag: databaseURL, variable: "KOPPEL_DATABASE_URL", name: "--database-url", logger: logger) { app in
            try await vault.withVault(logger: logger) { store in
                try await body(
                    Privacy(
                        clients: ClientStore(client: app, logger: logger), vault: store, referrals: ReferralStore(client: app, logger: logger),
                        lookups: SignInThrottleStore(client: app, logger: logger)))
            }
        }
    }
}
