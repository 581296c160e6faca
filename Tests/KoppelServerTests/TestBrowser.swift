import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelServer
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// A browser, for router tests: keeps the cookies the server sets and sends them back.
final class TestBrowser: @unchecked Sendable {
    let client: any TestClientProtocol
    private(set) var cookies: [String: String] = [:]
    /// The Set-Cookie headers of the last response.
    private(set) var lastSetCookies: [String] = []

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    @discardableResult
    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(uri, method: .get, headers: headers, body: nil)
    }

    @discardableResult
    func post(_ uri: String, form: [String: String], headers: HTTPFields = [:]) async throws -> TestResponse {
        var components = URLComponents()
        components.queryItems = form.map { URLQueryItem(name: $0.key, value: $0.value) }
        let body = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await send(uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// The anti-forgery token of the form on a page.
    func csrf(on uri: String) async throws -> String {
        let html = try await get(uri).text
        guard let match = html.firstMatch(of: /name="csrf_token" value="([^"]+)"/) else { return "" }
        return String(match.output.1)
    }

    func send(_ uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if !cookies.isEmpty {
            headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        if response.headers[.contentType]?.hasPrefix("text/html") == true {
            // Every page any test visits: nothing left unrendered, no Swift value printed raw.
            #expect(!response.text.contains(">nil<") && !response.text.contains("{{"), "\(uri) shows a raw value or template tag")
        }
        lastSetCookies = response.headers[values: .setCookie]
        for header in lastSetCookies {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0]), value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return response
    }

    var sessionCookie: String? { cookies["__Host-koppel_session"] }
}

/// People to sign in as, made directly in the database.
enum TestPeople {
    static let password = "een lange zin als wachtwoord"
    /// Hashed once for the whole run: bcrypt for every person made, in every suite at once, slowed the machine enough
    /// for other suites' requests to time out.
    private static let hashedPassword = Task { try await PasswordHasher.bundled().hash(password) }

    struct Person: Sendable {
        let id: UUID
        let organisation: UUID
        let email: String
        let totpSecret: String?
    }

    /// A user of a demo organisation with a chosen password; enrolled in TOTP when `enrolled`.
    static func make(
        _ database: TestDatabase, organisation slug: String, email: String, roles: Set<Role>,
        mustChangePassword: Bool = false, enrolled: Bool = false, programmes: Set<UUID> = []
    ) async throws -> Person {
        let hash = try await hashedPassword.value
        return try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { client in
            let organisation = try await OrganisationStore(client: client, logger: quietLogger).find(slug: slug)!.id
            let users = UserStore(client: client, logger: quietLogger)
            let id = try await users.create(NewUser(organisationID: organisation, email: email, displayName: email, roles: roles, coordinatedProgrammes: programmes), passwordHash: hash)
            try await users.setPassword(id: id, organisation: organisation, hash: hash, mustChange: mustChangePassword)
            var secret: String?
            if enrolled {
                secret = SecondFactor.newSecret()
                try await users.beginTOTPEnrolment(id: id, organisation: organisation, secret: secret!)
                _ = try await users.acceptTOTPStep(id: id, organisation: organisation, step: 1, confirmingEnrolment: true)
            }
            return Person(id: id, organisation: organisation, email: email, totpSecret: secret)
        }
    }

    /// Signed-in browsers of a VluchtelingenWerk caseworker and of 2GO's coordinator at Stek, and 2GO's id.
    static func caseworkerAndTwoGoCoordinator(
        _ client: any TestClientProtocol, _ database: TestDatabase
    ) async throws -> (caseworker: TestBrowser, coordinator: TestBrowser, twoGo: String) {
        let twoGo = try await TestApp.programmeID(named: "2GO maatjesprojecten", client)
        let caseworker = try await make(database, organisation: "vluchtelingenwerk", email: "cw@vw.example", roles: [.caseworker], enrolled: true)
        let coordinator = try await make(
            database, organisation: "stek", email: "co@stek.example", roles: [.coordinator], enrolled: true, programmes: [UUID(uuidString: twoGo)!])
        let (cw, co) = (TestBrowser(client), TestBrowser(client))
        try await signIn(cw, caseworker)
        try await signIn(co, coordinator)
        return (cw, co, twoGo)
    }

    /// Signs a browser in with the password; returns the response to the password step.
    @discardableResult
    static func submitPassword(_ browser: TestBrowser, email: String, password: String = password) async throws -> TestResponse {
        let csrf = try await browser.csrf(on: "/sign-in")
        return try await browser.post("/sign-in", form: ["email": email, "password": password, "csrf_token": csrf])
    }

    /// Signs in fully: password, then the TOTP code of `now`, or of the moment the password step is done (which can take
    /// long on a busy machine).
    static func signIn(_ browser: TestBrowser, _ person: Person, at now: Date? = nil) async throws {
        try await signIn(browser, person, clock: now.map(WallClock.fixed) ?? .system)
    }

    /// Signs in fully on a clock a test moves: the code of the clock's time once the password step is done.
    static func signIn(_ browser: TestBrowser, _ person: Person, clock: WallClock) async throws {
        try await submitPassword(browser, email: person.email)
        if let secret = person.totpSecret {
            let csrf = try await browser.csrf(on: "/sign-in/code")
            try await browser.post("/sign-in/code", form: ["code": SecondFactor.code(secret: secret, at: clock.now()), "csrf_token": csrf])
        }
    }
}
