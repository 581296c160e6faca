import Foundation
import HTTPTypes
import Hummingbird
import KoppelServer
import KoppelStore
import KoppelTestSupport
import Logging
import Testing
@Suite("Settings and the command line")
struct SettingsTests {
    let url = "postgres://koppel_app:secret@127.0.0.1:5432/koppel"
    /// The settings every server needs besides the app role's URL.
    let vault = ["KOPPEL_VAULT_DATABASE_URL": "postgres://koppel_vault:secret@127.0.0.1:5432/koppel", "KOPPEL_VAULT_KEY_FILE": "/run/keys.json"]

    @Test("flags win over the environment, and the environment over defaults")
    func precedence() throws {
        let reader = Settings.reader(
            flags: ["http.port": "9090"],
            environment: ["KOPPEL_HTTP_PORT": "7070", "KOPPEL_DATABASE_URL": url, "KOPPEL_LOG_LEVEL": "debug"].merging(vault) { $1 })
        let settings = try ServerSettings(reader: reader)
        #expect(settings.port == 9090)
        #expect(settings.logLevel == .debug)
        #expect(settings.host == "127.0.0.1")
        #expect(settings.databaseURL.database == "koppel")
        #expect(settings.vaultDatabaseURL.username == "koppel_vault")
        #expect(settings.keyFile == "/run/keys.json")
        #expect(settings.trustedProxies == .none)
    }

    @Test("a missing or malformed setting is an error naming the flag and the environment variable")
    func errors() {
        let missing = #expect(throws: SettingsError.self) { try ServerSettings(reader: Settings.reader(flags: [:], environment: [:])) }
        #expect(missing?.description == "--database-url (or KOPPEL_DATABASE_URL) is required")
        let badPort = #expect(throws: SettingsError.self) {
            try ServerSettings(reader: Settings.reader(flags: [:], environment: ["KOPPEL_DATABASE_URL": url, "KOPPEL_HTTP_PORT": "eighty"].merging(vault) { $1 }))
        }
        #expect(badPort?.description.contains("KOPPEL_HTTP_PORT") == true)
        let badURL = #expect(throws: SettingsError.self) {
            try ServerSettings(reader: Settings.reader(flags: [:], environment: ["KOPPEL_DATABASE_URL": "mysql://x@y/z"]))
        }
        #expect(badURL?.description.contains("postgres://") == true)
        let noVault = #expect(throws: SettingsError.self) {
            try ServerSettings(reader: Settings.reader(flags: [:], environment: ["KOPPEL_DATABASE_URL": url]))
        }
        #expect(noVault?.description == "--vault-database-url (or KOPPEL_VAULT_DATABASE_URL) is required")
        let badProxy = #expect(throws: SettingsError.self) {
            try ServerSettings(reader: Settings.reader(
                flags: [:], environment: ["KOPPEL_DATABASE_URL": url, "KOPPEL_HTTP_TRUSTED_PROXIES": "10.0.0.0/8, lb.example"].merging(vault) { $1 }))
        }
        #expect(badProxy?.description.hasPrefix("--http-trusted-proxies (or KOPPEL_HTTP_TRUSTED_PROXIES) has 'lb.example'") == true)
        let publicMetrics = #expect(throws: SettingsError.self) {
            try ServerSettings(reader: Settings.reader(
                flags: [:], environment: ["KOPPEL_DATABASE_URL": url, "KOPPEL_HTTP_PORT": "8080", "KOPPEL_METRICS_PORT": "8080"].merging(vault) { $1 }))
        }
        #expect(publicMetrics?.description.hasPrefix("--metrics-port (or KOPPEL_METRICS_PORT) must differ from --http-port") == true)
    }

    @Test("an error about the database URL never shows its password")
    func noPasswordInErrors() {
        let error = #expect(throws: SettingsError.self) {
            try ServerSettings(reader: Settings.reader(flags: [:], environment: ["KOPPEL_DATABASE_URL": "postgres://u:hunter2@h/db?sslmode=bogus"]))
        }
        #expect(error != nil && error?.description.contains("hunter2") == false)
    }

    @Test("koppel serve --help lists every setting with its flag and environment variable")
    func helpListsEverySetting() throws {
        let binary = ProcessInfo.processInfo.environment["KOPPEL_TEST_BIN"]
            ?? TestEnvironment.repositoryRoot.appendingPathComponent(".build/debug/koppel").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--help"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let help = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        for setting in Settings.all {
            #expect(help.contains(setting.flag), "\(setting.flag) missing from koppel serve --help")
            #expect(help.contains(setting.environmentVariable), "\(setting.environmentVariable) missing from koppel serve --help")
        }
    }
}
