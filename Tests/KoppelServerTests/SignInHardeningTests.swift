import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelServer
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Synchronization
import Testing

/// Signing in as an attacker would try it: in parallel, step against step, with only a password.
@Suite("Sign-in under attack")
struct SignInHardeningTests {
    static let limits = SignInThrottleStore.Limits(window: .seconds(900), lockAfter: 10, lockFor: .seconds(900))

    /// Counts attempts straight into the throttle, without the slow-down waits of real ones.
    static func attempts(_ count: Int, on key: ByteBuffer, _ database: TestDatabase) async throws {
        try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { db in
            let store = SignInThrottleStore(client: db, logger: quietLogger)
            for _ in 0..<count { _ = try await store.attempt(key, limits) }
        }
    }

    @Test("a correct password does not reset the count of wrong codes: the code step locks at ten and stays locked")
    func codeLockSurvivesPassword() async throws {
        try await TestApp.run { client, database in
            let person = try await TestPeople.make(database, organisation: "stek", email: "code@stek.example", roles: [.coordinator], enrolled: true)
            try await Self.attempts(9, on: SignInThrottleStore.accountKey(person.email, step: .code), database)
            let browser = TestBrowser(client)
            #expect(try await TestPeople.submitPassword(browser, email: person.email).headers[.location] == "/sign-in/code")
            let tenth = try await browser.post("/sign-in/code", form: ["code": "000000", "csrf_token": try await browser.csrf(on: "/sign-in/code")])
            #expect(tenth.status == .unauthorized)

            // A new sign-in with the right password, then the right code: still locked.
            let again = TestBrowser(client)
            #expect(try await TestPeople.submitPassword(again, email: person.email).headers[.location] == "/sign-in/code")
            let right = try await again.post(
                "/sign-in/code", form: ["code": SecondFactor.code(secret: person.totpSecret!, at: Date()), "csrf_token": try await again.csrf(on: "/sign-in/code")])
            #expect(right.status == .tooManyRequests)
            #expect(try await again.get("/account").headers[.location] == "/sign-in")
        }
    }

    @Test("twenty wrong passwords at once: exactly ten are checked, the rest refused unchecked")
    func parallelPasswords() async throws {
        try await TestApp.run { client, database in
            _ = try await TestPeople.make(database, organisation: "stek", email: "many@stek.example", roles: [.funder])
            let browsers = (0..<20).map { _ in TestBrowser(client) }
            var tokens: [String] = []
            for browser in browsers { tokens.append(try await browser.csrf(on: "/sign-in")) }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for (browser, token) in zip(browsers, tokens) {
                    group.addTask {
                        try await browser.post("/sign-in", form: ["email": "many@stek.example", "password": "not it at all", "csrf_token": token]).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == 10)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 10)
        }
    }

    @Test("with only the password given, the password cannot be changed; a change ends every other session")
    func passwordChange() async throws {
        try await TestApp.run { client, database in
            let person = try await TestPeople.make(database, organisation: "stek", email: "change@stek.example", roles: [.coordinator], enrolled: true)
            let halfway = TestBrowser(client)
            try await TestPeople.submitPassword(halfway, email: person.email)
            let form = ["current_password": TestPeople.password, "new_password": "een ander lang wachtwoord", "repeat_password": "een ander lang wachtwoord"]
            let refused = try await halfway.post("/account/password", form: form.merging(["csrf_token": "x"]) { $1 })
            #expect(refused.headers[.location] == "/sign-in")
            #expect(try await halfway.get("/account/password").headers[.location] == "/sign-in")

            let (first, second) = (TestBrowser(client), TestBrowser(client))
            try await TestPeople.signIn(first, person)
            try await TestPeople.signIn(second, person)
            let before = try #require(first.sessionCookie)
            let changed = try await first.post("/account/password", form: form.merging(["csrf_token": try await first.csrf(on: "/account/password")]) { $1 })
            #expect(changed.headers[.location] == "/account")
            #expect(first.sessionCookie != before, "the changing session goes on under a new id")
            #expect(try await first.get("/account").status == .ok)
            #expect(try await second.get("/account").headers[.location] == "/sign-in", "the other session ended")
            #expect(try await halfway.get("/sign-in/code").headers[.location] == "/sign-in", "so did the half-finished one")
        }
    }

    @Test("a TOTP seed stored in plain text before sealing is sealed at its owner's next sign-in")
    func plainSeedSealed() async throws {
        // The server seals every plain seed once when it starts: a seed made before then shows when that sweep is over, so
        // that the one made after it stays plain until its owner signs in, however slowly the server starts.
        let earlier = Mutex<TestPeople.Person?>(nil)
        try await TestApp.run(before: { database in
            let made = try await TestPeople.make(database, organisation: "stek", email: "earlier@stek.example", roles: [.coordinator], enrolled: true)
            earlier.withLock { $0 = made }
        }) { client, database in
            func stored(_ person: TestPeople.Person) async throws -> String {
                try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                    try await UserStore(client: db, logger: quietLogger).account(id: person.id, organisation: person.organisation)!.totpSecret!
                }
            }
            let sweptOne = try #require(earlier.withLock { $0 })
            try await waitUntil("the sweep at start") { try await stored(sweptOne).hasPrefix("sealed:v1:") }
            let person = try await TestPeople.make(database, organisation: "stek", email: "legacy@stek.example", roles: [.coordinator], enrolled: true)
            func stored() async throws -> String { try await stored(person) }
            #expect(try await stored() == person.totpSecret)
            let browser = TestBrowser(client)
            try await TestPeople.signIn(browser, person)
            #expect(try await browser.get("/account").status == .ok)
            let sealed = try await stored()
            #expect(sealed.hasPrefix("sealed:v1:") && !sealed.contains(person.totpSecret!))
            // And it still works.
            let next = TestBrowser(client)
            try await TestPeople.submitPassword(next, email: person.email)
            let code = SecondFactor.code(secret: person.totpSecret!, at: Date().addingTimeInterval(30))
            #expect(try await next.post("/sign-in/code", form: ["code": code, "csrf_token": try await next.csrf(on: "/sign-in/code")]).headers[.location] == "/account")
        }
    }

    @Test("colleagues signing in behind one address do not lock it: a success takes its attempt back; failures still add up")
    func officeAddress() async throws {
        try await TestApp.run { _, database in
            let limits = SignInThrottleStore.Limits(window: .seconds(900), lockAfter: 3, lockFor: .seconds(900))
            let key = SignInThrottleStore.addressKey("192.0.2.10")
            try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { db in
                let store = SignInThrottleStore(client: db, logger: quietLogger)
                for _ in 0..<5 {
                    #expect(try await store.attempt(key, limits).allowed)
                    try await store.forgive(key, limits)
                }
                for _ in 0..<3 { #expect(try await store.attempt(key, limits).allowed) }
                #expect(try await store.attempt(key, limits).allowed == false, "three failures lock it")
            }
        }
    }

    @Test("a look-alike of an e-mail address (a dotted capital I) does not sign in to the account, nor escape its count")
    func lookAlikeEmail() async throws {
        try await TestApp.run { client, database in
            _ = try await TestPeople.make(database, organisation: "gemeente-den-haag", email: "alice@denhaag.example", roles: [.funder])
            let lookAlike = try await TestPeople.submitPassword(TestBrowser(client), email: "al\u{130}ce@denhaag.example")
            #expect(lookAlike.status == .unauthorized)
            #expect(try await TestPeople.submitPassword(TestBrowser(client), email: "ALICE@denhaag.example").status == .seeOther)
        }
    }

    @Test("a seed stored in plain text is sealed when a server starts, whether or not its owner signs in")
    func dormantSeedSealed() async throws {
        try await TestDatabases.withMigratedDatabase { database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { client in
                try await DemoSeeder(client: client, logger: quietLogger).seed(try DemoData.bundled())
            }
            let person = try await TestPeople.make(database, organisation: "stek", email: "slapend@stek.example", roles: [.coordinator], enrolled: true)
            try await TestApp.run(databaseURL: database.appURL, vaultURL: database.vaultURL) { client in
                var stored = person.totpSecret ?? ""
                for _ in 0..<50 where !stored.hasPrefix("sealed:v1:") {
                    try await Task.sleep(for: .milliseconds(200))
                    stored = try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                        try await UserStore(client: db, logger: quietLogger).account(id: person.id, organisation: person.organisation)!.totpSecret!
                    }
                }
                #expect(stored.hasPrefix("sealed:v1:") && !stored.contains(person.totpSecret!))
            }
        }
    }
}
