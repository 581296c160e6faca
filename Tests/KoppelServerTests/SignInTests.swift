import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelServer
import KoppelStore
import KoppelTestSupport
import Logging
import PostgresNIO
import Testing

@Suite("Signing in, second factor, sessions")
struct SignInTests {
    @Test("a first sign-in changes the initial password, enrols a second factor, shows ten recovery codes, then is complete")
    func firstSignIn() async throws {
        let keys = try TestKeys.newKeyFile()
        defer { TestKeys.remove(keys) }
        try await TestApp.run(keys: keys) { client, database in
            let person = try await TestPeople.make(database, organisation: "vluchtelingenwerk", email: "new@vw.example", roles: [.caseworker], mustChangePassword: true)
            let browser = TestBrowser(client)
            let afterPassword = try await TestPeople.submitPassword(browser, email: person.email)
            #expect(afterPassword.status == .seeOther)
            #expect(afterPassword.headers[.location] == "/account/password")
            // Not signed in yet: the account page sends back to sign-in.
            #expect(try await browser.get("/account").headers[.location] == "/sign-in")

            let csrf = try await browser.csrf(on: "/account/password")
            let common = try await browser.post("/account/password", form: ["new_password": "welkom123", "repeat_password": "welkom123", "csrf_token": csrf])
            #expect(common.status == .unprocessableContent)
            #expect(common.text.contains("veelgebruikte wachtwoorden"))
            let chosen = try await browser.post("/account/password", form: ["new_password": "mijn eigen lange zin", "repeat_password": "mijn eigen lange zin", "csrf_token": csrf])
            #expect(chosen.headers[.location] == "/account/second-factor")

            let enrolment = try await browser.get("/account/second-factor").text
            let uri = try #require(enrolment.firstMatch(of: /href="(otpauth:\/\/totp\/[^"]+)"/)).output.1
            let secret = try #require(String(uri).firstMatch(of: /secret=([A-Z2-7]+)/)).output.1
            #expect(uri.contains("issuer=Koppel"))
            // The seed is stored sealed under the key file: the database alone cannot give anyone's codes.
            let stored = try await secretOf(person, database)
            #expect(stored.hasPrefix("sealed:v1:"))
            let seed = try SecretSeal(keys: KeyRing(path: keys), purpose: "totp-seed").open(stored, owner: person.id)
            #expect(!stored.contains(seed) && !stored.contains(String(secret)))
            let wrong = try await browser.post("/account/second-factor", form: ["code": "000000", "csrf_token": csrf])
            #expect(wrong.status == .unprocessableContent)
            let codes = try await browser.post("/account/second-factor", form: ["code": SecondFactor.code(secret: seed, at: Date()), "csrf_token": csrf])
            #expect(codes.status == .ok)
            #expect(codes.text.matches(of: /<li><code>[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}<\/code><\/li>/).count == 10)
            #expect(!secret.isEmpty)
            let account = try await browser.get("/account")
            #expect(account.status == .ok)
            #expect(account.text.contains("Vluchtelingenwerk") || account.text.contains("VluchtelingenWerk"))
            #expect(account.headers[.cacheControl] == "no-store")
        }
    }

    private func secretOf(_ person: TestPeople.Person, _ database: TestDatabase) async throws -> String {
        try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { client in
            try await UserStore(client: client, logger: quietLogger).account(id: person.id, organisation: person.organisation)!.totpSecret!
        }
    }

    @Test("the session cookie is __Host-, Secure, HttpOnly, SameSite=Strict, and a new one at every step up")
    func cookieAndRotation() async throws {
        try await TestApp.run { client, database in
            let person = try await TestPeople.make(database, organisation: "stek", email: "coord@stek.example", roles: [.coordinator], enrolled: true)
            let browser = TestBrowser(client)
            try await TestPeople.submitPassword(browser, email: person.email)
            let setCookie = try #require(browser.lastSetCookies.first { $0.hasPrefix("__Host-koppel_session=") })
            for attribute in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
                #expect(setCookie.contains(attribute), "\(attribute) missing from \(setCookie)")
            }
            let passwordStage = try #require(browser.sessionCookie)
            let csrf = try await browser.csrf(on: "/sign-in/code")
            try await browser.post("/sign-in/code", form: ["code": SecondFactor.code(secret: person.totpSecret!, at: Date()), "csrf_token": csrf])
            let complete = try #require(browser.sessionCookie)
            #expect(complete != passwordStage)
            #expect(try await browser.get("/account").status == .ok)
            // The password-stage cookie opens nothing any more.
            let stale = TestBrowser(client)
            let response = try await stale.get("/account", headers: [.cookie: "__Host-koppel_session=\(passwordStage)"])
            #expect(response.headers[.location] == "/sign-in")
        }
    }

    @Test("a TOTP code is accepted once only; a recovery code too")
    func noReplay() async throws {
        try await TestApp.run { client, database in
            let person = try await TestPeople.make(database, organisation: "stek", email: "replay@stek.example", roles: [.coordinator], enrolled: true)
            let code = SecondFactor.code(secret: person.totpSecret!, at: Date())
            let first = TestBrowser(client)
            try await TestPeople.submitPassword(first, email: person.email)
            let accepted = try await first.post("/sign-in/code", form: ["code": code, "csrf_token": try await first.csrf(on: "/sign-in/code")])
            #expect(accepted.headers[.location] == "/account")

            let second = TestBrowser(client)
            try await TestPeople.submitPassword(second, email: person.email)
            let replayed = try await second.post("/sign-in/code", form: ["code": code, "csrf_token": try await second.csrf(on: "/sign-in/code")])
            #expect(replayed.status == .unauthorized)
            #expect(try await second.get("/account").headers[.location] != nil)

            let recovery = SecretToken(value: "abcd-efgh-jkmn-pqrs")
            try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                try await UserStore(client: db, logger: quietLogger).replaceRecoveryCodes(id: person.id, organisation: person.organisation, codes: [recovery])
            }
            let withRecovery = try await second.post("/sign-in/code", form: ["code": recovery.value, "csrf_token": try await second.csrf(on: "/sign-in/code")])
            #expect(withRecovery.headers[.location] == "/account")
            let third = TestBrowser(client)
            try await TestPeople.submitPassword(third, email: person.email)
            let reused = try await third.post("/sign-in/code", form: ["code": recovery.value, "csrf_token": try await third.csrf(on: "/sign-in/code")])
            #expect(reused.status == .unauthorized)
        }
    }

    @Test("a wrong password and an unknown account get the same status and message")
    func noEnumeration() async throws {
        try await TestApp.run { client, database in
            _ = try await TestPeople.make(database, organisation: "stek", email: "known@stek.example", roles: [.funder])
            let wrongPassword = try await TestPeople.submitPassword(TestBrowser(client), email: "known@stek.example", password: "not the password")
            let unknownAccount = try await TestPeople.submitPassword(TestBrowser(client), email: "unknown@stek.example", password: "not the password")
            #expect(wrongPassword.status == .unauthorized)
            #expect(wrongPassword.status == unknownAccount.status)
            let message = { (html: String) in html.firstMatch(of: /role="alert"[^>]*>([^<]+)</)?.output.1 }
            #expect(message(wrongPassword.text) != nil)
            #expect(message(wrongPassword.text) == message(unknownAccount.text))
        }
    }

    @Test("after ten failures an account locks, even against the right password, and an unknown one locks alike")
    func lockout() async throws {
        try await TestApp.run { client, database in
            _ = try await TestPeople.make(database, organisation: "stek", email: "target@stek.example", roles: [.funder])
            // Let failures count without the slow-down wait: they are recorded straight into the throttle.
            try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { db in
                let store = SignInThrottleStore(client: db, logger: quietLogger)
                for email in ["target@stek.example", "ghost@stek.example"] {
                    for _ in 0..<9 {
                        _ = try await store.attempt(SignInThrottleStore.accountKey(email, step: .password), SignInHardeningTests.limits)
                    }
                }
            }
            let tenth = try await TestPeople.submitPassword(TestBrowser(client), email: "target@stek.example", password: "wrong once more")
            #expect(tenth.status == .unauthorized)
            let rightPassword = try await TestPeople.submitPassword(TestBrowser(client), email: "target@stek.example")
            #expect(rightPassword.status == .tooManyRequests)
            #expect(rightPassword.text.contains("kwartier"))
            _ = try await TestPeople.submitPassword(TestBrowser(client), email: "ghost@stek.example", password: "wrong")
            let ghost = try await TestPeople.submitPassword(TestBrowser(client), email: "ghost@stek.example")
            #expect(ghost.status == rightPassword.status)
        }
    }

    @Test("behind a trusted balancer sign-in failures count per client it names; from anyone else X-Forwarded-For changes nothing")
    func throttleBehindBalancer() async throws {
        for balancer in [try TrustedProxies("127.0.0.1"), .none] {
            try await TestApp.run(over: .live, trustedProxies: balancer) { client, database in
                // Lock one client address and the TCP peer (this test's own) straight in the throttle.
                try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { db in
                    let store = SignInThrottleStore(client: db, logger: quietLogger)
                    for address in ["203.0.113.5", "127.0.0.1"] {
                        for _ in 0..<2 {
                            _ = try await store.attempt(
                                SignInThrottleStore.addressKey(address), .init(window: .seconds(900), lockAfter: 2, lockFor: .seconds(900)))
                        }
                    }
                }
                func attempt(from forwardedFor: String?) async throws -> HTTPResponse.Status {
                    let browser = TestBrowser(client)
                    let csrf = try await browser.csrf(on: "/sign-in")
                    let headers: HTTPFields = forwardedFor.map { [.init("X-Forwarded-For")!: $0] } ?? [:]
                    return try await browser.post(
                        "/sign-in", form: ["email": "nobody@stek.example", "password": "wrong", "csrf_token": csrf], headers: headers
                    ).status
                }
                if balancer == .none {
                    #expect(try await attempt(from: "203.0.113.6") == .tooManyRequests, "a made-up header does not escape the peer's lock")
                } else {
                    #expect(try await attempt(from: "203.0.113.5") == .tooManyRequests, "the client the balancer names is locked")
                    #expect(try await attempt(from: "203.0.113.5, 203.0.113.6") == .unauthorized, "another client is not")
                    #expect(try await attempt(from: nil) == .tooManyRequests, "without the header the balancer itself is the client")
                }
            }
        }
    }

    @Test("failed attempts slow sign-in down before it locks")
    func slowDown() async throws {
        try await TestApp.run { client, database in
            _ = try await TestPeople.make(database, organisation: "stek", email: "slow@stek.example", roles: [.funder])
            try await PostgresClient.withRunningClient(database.appURL, logger: quietLogger) { db in
                for _ in 0..<4 {
                    _ = try await SignInThrottleStore(client: db, logger: quietLogger)
                        .attempt(SignInThrottleStore.accountKey("slow@stek.example", step: .password), SignInHardeningTests.limits)
                }
            }
            let started = ContinuousClock.now
            let response = try await TestPeople.submitPassword(TestBrowser(client), email: "slow@stek.example")
            #expect(response.status == .seeOther)
            #expect(ContinuousClock.now - started >= .seconds(2))
        }
    }

    @Test("signing out ends the session on the server; disabling a user ends theirs at once")
    func signOutAndDisable() async throws {
        try await TestApp.run { client, database in
            let funder = try await TestPeople.make(database, organisation: "gemeente-den-haag", email: "f@denhaag.example", roles: [.funder])
            let browser = TestBrowser(client)
            try await TestPeople.signIn(browser, funder)
            let cookie = try #require(browser.sessionCookie)
            #expect(try await browser.get("/account").status == .ok)
            let forged = try await browser.post("/sign-out", form: ["csrf_token": "not-the-token"])
            #expect(forged.status == .forbidden)
            try await browser.post("/sign-out", form: ["csrf_token": try await browser.csrf(on: "/account")])
            let replay = try await TestBrowser(client).get("/account", headers: [.cookie: "__Host-koppel_session=\(cookie)"])
            #expect(replay.headers[.location] == "/sign-in")

            let other = TestBrowser(client)
            try await TestPeople.signIn(other, funder)
            #expect(try await other.get("/account").status == .ok)
            try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                try await UserStore(client: db, logger: quietLogger).disable(id: funder.id, organisation: funder.organisation)
            }
            #expect(try await other.get("/account").headers[.location] == "/sign-in")
            let again = try await TestPeople.submitPassword(TestBrowser(client), email: funder.email)
            #expect(again.status == .unauthorized)
        }
    }

    @Test("sessions end after the idle timeout and after the absolute timeout")
    func expiry() async throws {
        try await TestApp.run { client, database in
            let funder = try await TestPeople.make(database, organisation: "gemeente-den-haag", email: "e@denhaag.example", roles: [.funder])
            for ageing: PostgresQuery in [
                "UPDATE sessions SET last_seen_at = now() - interval '31 minutes'",
                "UPDATE sessions SET expires_at = now() - interval '1 second'",
            ] {
                let browser = TestBrowser(client)
                try await TestPeople.signIn(browser, funder)
                #expect(try await browser.get("/account").status == .ok)
                try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                    try await db.withTenantTransaction(organisation: funder.organisation, logger: quietLogger) { connection in
                        _ = try await connection.query(ageing, logger: quietLogger)
                    }
                }
                #expect(try await browser.get("/account").headers[.location] == "/sign-in", "\(ageing.sql)")
            }
        }
    }

    @Test("forms without their anti-forgery token, or with another's, are refused")
    func csrf() async throws {
        try await TestApp.run { client, database in
            let funder = try await TestPeople.make(database, organisation: "gemeente-den-haag", email: "c@denhaag.example", roles: [.funder])
            let noToken = try await TestBrowser(client).post("/sign-in", form: ["email": funder.email, "password": TestPeople.password])
            #expect(noToken.status == .forbidden)
            let noCookie = try await TestBrowser(client).post("/sign-in", form: ["email": funder.email, "password": TestPeople.password, "csrf_token": "guess"])
            #expect(noCookie.status == .forbidden)

            let victim = TestBrowser(client)
            try await TestPeople.signIn(victim, funder)
            let attacker = TestBrowser(client)
            let attackerToken = try await attacker.csrf(on: "/sign-in")
            let forged = try await victim.post("/account/password", form: [
                "current_password": TestPeople.password, "new_password": "overgenomen door iemand", "repeat_password": "overgenomen door iemand",
                "csrf_token": attackerToken,
            ])
            #expect(forged.status == .forbidden)
        }
    }

    @Test("oversized and malformed sign-in input is a clear 4xx, never a 500")
    func badInput() async throws {
        try await TestApp.run { client, _ in
            let browser = TestBrowser(client)
            let csrf = try await browser.csrf(on: "/sign-in")
            let huge = try await browser.post("/sign-in", form: ["email": "a@b.example", "password": String(repeating: "x", count: 20_000), "csrf_token": csrf])
            #expect(huge.status == .contentTooLarge)
            let missing = try await browser.post("/sign-in", form: ["csrf_token": csrf])
            #expect(missing.status == .badRequest)
            let longPassword = try await browser.post("/sign-in", form: ["email": "a@b.example", "password": String(repeating: "x", count: 500), "csrf_token": csrf])
            #expect(longPassword.status == .unauthorized)
        }
    }

    @Test("an API token acts as its user and its use is noted; a revoked, expired, malformed or missing one is 401")
    func bearerTokens() async throws {
        try await TestApp.run { client, database in
            let person = try await TestPeople.make(database, organisation: "vluchtelingenwerk", email: "api@vw.example", roles: [.caseworker])
            let (live, revoked, expired) = try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                let tokens = APITokenStore(client: db, logger: quietLogger)
                let live = try await tokens.create(userID: person.id, organisation: person.organisation, name: "live", expiresInDays: 30)
                let revoked = try await tokens.create(userID: person.id, organisation: person.organisation, name: "revoked", expiresInDays: nil)
                _ = try await tokens.revoke(id: revoked.id, organisation: person.organisation)
                let expired = try await tokens.create(userID: person.id, organisation: person.organisation, name: "expired", expiresInDays: 1)
                try await db.withTenantTransaction(organisation: person.organisation, logger: quietLogger) { connection in
                    _ = try await connection.query("UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = \(expired.id)", logger: quietLogger)
                }
                return (live.token.value, revoked.token.value, expired.token.value)
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(live)"]) { response in
                #expect(response.status == .ok)
                #expect(response.json["email"] as? String == "api@vw.example")
                #expect(response.json["roles"] as? [String] == ["caseworker"])
            }
            for header in ["Bearer \(revoked)", "Bearer \(expired)", "Bearer kpl_made-up", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer"] {
                try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: header]) { response in
                    #expect(response.status == .unauthorized, "\(header.prefix(12))")
                    #expect(response.headers[.contentType] == "application/problem+json")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                }
            }
            try await client.execute(uri: "/api/v1/me", method: .get) { #expect($0.status == .unauthorized) }
            let used = try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
                try await db.query("SELECT name FROM api_tokens WHERE last_used_at IS NOT NULL", logger: quietLogger)
                    .collect().map { try $0.decode(String.self) }
            }
            #expect(used == ["live"], "only the token that worked is noted as used")
        }
    }
}
