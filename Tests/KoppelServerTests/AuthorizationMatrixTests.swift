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

/// The authorization matrix (Resources/authorization-matrix.json), driven through HTTP against real PostgreSQL:
/// zero unexpected allows, zero unexpected denies, and no route without a row.
@Suite("Authorization matrix")
struct AuthorizationMatrixTests {
    struct Matrix: Decodable {
        let roles: [String]
        let rows: [[String: AnyStatus]]
    }

    /// A cell: a status, a text (the route, the organisation scope) or a request body.
    enum AnyStatus: Decodable {
        case status(Int)
        case text(String)
        case body([String: BodyValue])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int.self) {
                self = .status(number)
            } else if let text = try? container.decode(String.self) {
                self = .text(text)
            } else {
                self = .body(try container.decode([String: BodyValue].self))
            }
        }
    }

    indirect enum BodyValue: Decodable, Sendable {
        case text(String)
        case number(Int)
        case list([BodyValue])
        case object([String: BodyValue])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .text(text)
            } else if let number = try? container.decode(Int.self) {
                self = .number(number)
            } else if let items = try? container.decode([BodyValue].self) {
                self = .list(items)
            } else {
                self = .object(try container.decode([String: BodyValue].self))
            }
        }

        func json(replacing substitutions: [String: String]) -> Any {
            switch self {
            case .text(let text): return substitutions.reduce(text) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
            case .number(let number): return number
            case .list(let items): return items.map { $0.json(replacing: substitutions) }
            case .object(let fields): return fields.mapValues { $0.json(replacing: substitutions) }
            }
        }
    }

    static func matrix() throws -> Matrix {
        let url = try #require(Bundle.module.url(forResource: "authorization-matrix", withExtension: "json", subdirectory: "Resources"))
        return try JSONDecoder().decode(Matrix.self, from: Data(contentsOf: url))
    }

    static func route(of row: [String: AnyStatus]) -> String {
        if case .text(let route) = row["route"] { return route }
        return ""
    }

    static func expected(_ row: [String: AnyStatus], for caller: String) -> Int? {
        let cell = row[caller] ?? (caller == "anonymous" ? nil : row["signed-in"])
        if case .status(let status) = cell { return status }
        return nil
    }

    @Test("every route the server has is in the matrix, and every row is a route")
    func everyRouteHasARow() async throws {
        let matrix = try Self.matrix()
        let environment = try TestEnvironment.current()
        let keyFile = try TestKeys.newKeyFile()
        defer { TestKeys.remove(keyFile) }
        let settings = ServerSettings(
            databaseURL: environment.app, vaultDatabaseURL: environment.vault, keyFile: keyFile, schemaDirectory: environment.schemaDirectory.path)
        let routes = try await buildApplicationAndRoutes(settings: settings).routes
        let served = Set(routes.routes.map { "\($0.method.rawValue) \($0.path)" })
        let listed = Set(matrix.rows.map(Self.route(of:)).map { $0.replacingOccurrences(of: "/api/v1/organisations", with: "/api/v1/organisations") })
        #expect(served.subtracting(listed).isEmpty, "routes without a row in authorization-matrix.json: \(served.subtracting(listed).sorted())")
        #expect(listed.subtracting(served).isEmpty, "rows for routes that do not exist: \(listed.subtracting(served).sorted())")
        for row in matrix.rows {
            for caller in ["anonymous"] + matrix.roles {
                #expect(Self.expected(row, for: caller) != nil, "\(Self.route(of: row)) has no expectation for \(caller)")
            }
        }
    }

    @Test("each caller gets exactly the status the matrix gives, for every route")
    func everyCell() async throws {
        let matrix = try Self.matrix()
        try await TestApp.run { client, database in
            let programmeID = try await TestApp.programmeID(named: "PIMENTA", client)
            let twoGoID = try await TestApp.programmeID(named: "2GO maatjesprojecten", client)
            let pimentaOperator = try await client.execute(uri: "/api/v1/programmes/\(programmeID)", method: .get) { response in
                try #require((response.json["organization"] as? [String: Any])?["id"] as? String)
            }
            let referrals = try await Self.referrals(client, database)
            let funding = try await Self.funding(database)
            // In each organisation: a user to disable and tokens to revoke (one for every caller who may).
            var targets: [String: (organisation: String, user: String, tokens: [String], subscription: String)] = [:]
            let keyFile = try TestKeys.newKeyFile()
            defer { TestKeys.remove(keyFile) }
            let keys = try KeyRing(path: keyFile)
            for slug in ["vluchtelingenwerk", "stek"] {
                let target = try await TestPeople.make(database, organisation: slug, email: "target@\(slug).example", roles: [.caseworker])
                let (tokens, subscription) = try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                    var tokens: [String] = []
                    for index in 0..<8 {
                        tokens.append(try await APITokenStore(client: db, logger: quietLogger)
                            .create(userID: target.id, organisation: target.organisation, name: "target \(index)", expiresInDays: nil).id.uuidString)
                    }
                    let admin = Actor(userID: target.id, organisationID: target.organisation, roles: [.orgAdmin])
                    let subscription = try await WebhookStore(client: db, keys: keys, policy: .init(), logger: quietLogger)
                        .create(.init(url: "https://partner.example/\(slug)", description: "", eventTypes: []), by: admin).subscription.id
                    return (tokens, subscription.uuidString.lowercased())
                }
                targets[slug] = (target.organisation.uuidString.lowercased(), target.id.uuidString.lowercased(), tokens, subscription)
            }
            var callers: [(name: String, organisation: String, browser: TestBrowser, token: String?)] = [
                ("anonymous", "vluchtelingenwerk", TestBrowser(client), nil)
            ]
            for (index, role) in matrix.roles.enumerated() {
                let roleValue = try #require(Role(rawValue: role))
                // The coordinator works where a programme is run: at Stek, for 2GO.
                let organisation = roleValue == .coordinator ? "stek" : "vluchtelingenwerk"
                let person = try await TestPeople.make(
                    database, organisation: organisation, email: "matrix\(index)@\(organisation).example", roles: [roleValue],
                    enrolled: roleValue.requiresSecondFactor, programmes: roleValue == .coordinator ? [UUID(uuidString: twoGoID)!] : [])
                let browser = TestBrowser(client)
                try await TestPeople.signIn(browser, person)
                let token = try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                    try await APITokenStore(client: db, logger: quietLogger)
                        .create(userID: person.id, organisation: person.organisation, name: "matrix", expiresInDays: 1).token.value
                }
                callers.append((role, organisation, browser, token))
            }
            var mismatches: [String] = []
            for row in matrix.rows {
                let route = Self.route(of: row)
                let parts = route.split(separator: " ", maxSplits: 1)
                let method = HTTPRequest.Method(rawValue: String(parts[0]))!
                var scope: String?
                if case .text(let text) = row["organisation"] { scope = text }
                var programme = programmeID
                if case .text("2GO") = row["programme"] { programme = twoGoID }
                // A FHIR row names what its {id} is: a referral, client or consent the rows know, or an organisation.
                if case .text(let which) = row["id"] {
                    let parts = which.split(separator: ":").map(String.init)
                    programme = parts.count == 2 ? referrals[parts[0] == "referral" ? parts[1] : "\(parts[0])-\(parts[1])"] ?? "" : targets["stek"]?.organisation ?? ""
                }
                var referral = ""
                if case .text(let which) = row["referral"] { referral = referrals[which] ?? "" }
                var client = ""
                var consent = ""
                if case .text(let which) = row["client"] {
                    client = referrals["client-\(which)"] ?? ""
                    consent = referrals["consent-\(which)"] ?? ""
                }
                for (index, caller) in callers.enumerated() {
                    var path = String(parts[1]).replacingOccurrences(of: "/hsds/organizations/{id}", with: "/hsds/organizations/\(pimentaOperator)")
                        .replacingOccurrences(of: "{id}", with: programme)
                        .replacingOccurrences(of: "{referralId}", with: referral).replacingOccurrences(of: "{clientId}", with: client)
                        .replacingOccurrences(of: "{consentId}", with: consent)
                        .replacingOccurrences(of: "{areaId}", with: funding.area).replacingOccurrences(of: "{agreementId}", with: funding.agreement)
                    var substitutions = [
                        "{caller}": "\(caller.name)-\(scope ?? "")", "{programme2GO}": twoGoID, "{clientOurs}": referrals["client-ours"] ?? "",
                        "{referralOurs}": referrals["ours"] ?? "", "{areaId}": funding.area, "{funderId}": funding.funder,
                    ]
                    let targetOrganisation = scope == "own" ? caller.organisation : (caller.organisation == "stek" ? "vluchtelingenwerk" : "stek")
                    if scope != nil, let target = targets[targetOrganisation] {
                        substitutions["{userId}"] = target.user
                        path = path.replacingOccurrences(of: "{organisationId}", with: target.organisation)
                            .replacingOccurrences(of: "{userId}", with: target.user)
                            .replacingOccurrences(of: "{tokenId}", with: target.tokens[index])
                            .replacingOccurrences(of: "{subscriptionId}", with: target.subscription)
                            .replacingOccurrences(of: "{change}", with: "ping").replacingOccurrences(of: "{deliveryId}", with: "1")
                    }
                    if case .text(let query) = row["query"] {
                        path += "?" + substitutions.reduce(query) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
                    }
                    var headers: HTTPFields = [:]
                    if path.hasPrefix("/api/") || path.hasPrefix("/fhir/"), let token = caller.token { headers[.authorization] = "Bearer \(token)" }
                    var body: ByteBuffer?
                    if case .body(let fields) = row["body"] {
                        headers[.contentType] = "application/json"
                        let object = fields.mapValues { $0.json(replacing: substitutions) }
                        body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
                    } else if method == .post {
                        headers[.contentType] = "application/x-www-form-urlencoded"
                        body = ByteBuffer()
                    }
                    let response = try await caller.browser.send(path, method: method, headers: headers, body: body)
                    let expected = Self.expected(row, for: caller.name)
                    if Int(response.status.code) != expected {
                        mismatches.append("\(route) (\(scope ?? "-")) as \(caller.name): expected \(expected ?? 0), got \(response.status.code)")
                    }
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        }
    }

    /// The area and agreement {areaId} and {agreementId} name: an area of Den Haag, and Gemeente Den Haag's agreement for
    /// PIMENTA in it ({funderId} is Gemeente Den Haag).
    static func funding(_ database: TestDatabase) async throws -> (area: String, agreement: String, funder: String) {
        try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
            let area = UUID(), agreement = UUID()
            try await db.query("INSERT INTO areas (id, name, folded) VALUES (\(area), 'Matrix', 'matrix')", logger: quietLogger)
            try await db.query("INSERT INTO area_members (area_id, municipality) VALUES (\(area), 'GM0518')", logger: quietLogger)
            let funder = try await db.query("SELECT id FROM organisations WHERE slug = 'gemeente-den-haag'", logger: quietLogger)
                .collect().first!.decode(UUID.self)
            try await db.query(
                """
                INSERT INTO funding_agreements (id, funder_id, programme_id, area_id, starts_on, ends_on)
                SELECT \(agreement), \(funder), id, \(area), DATE '2026-01-01', DATE '2026-12-31' FROM programmes WHERE slug = 'pimenta'
                """, logger: quietLogger)
            return (area.uuidString.lowercased(), agreement.uuidString.lowercased(), funder.uuidString.lowercased())
        }
    }

    /// The referrals and clients the rows name: "ours", from VluchtelingenWerk to 2GO, and "theirs", from Humanitas
    /// to PIMENTA, with their clients; a spare VluchtelingenWerk client; a consent of each client no referral relies on.
    static func referrals(_ client: any TestClientProtocol, _ database: TestDatabase) async throws -> [String: String] {
        let api = APICall(client: client)
        let cast = try await ReferralCast.make(client, database)
        let ours = try await api.consentedClient(as: cast.caseworker)
        let theirs = try await api.consentedClient(as: cast.otherCaseworker)
        let spare = try await api.consentedClient(as: cast.caseworker)
        var ids = [
            "ours": try await api.file(cast.forTwoGo(["client_id": ours]), as: cast.caseworker),
            "theirs": try await api.file(cast.forPimenta(["client_id": theirs]), as: cast.otherCaseworker),
            "client-ours": ours, "client-theirs": theirs, "client-spare": spare,
        ]
        for (which, clientID, token) in [("ours", ours, cast.caseworker), ("theirs", theirs, cast.otherCaseworker)] {
            let consents = try await api(.get, "/api/v1/clients/\(clientID)/consents", as: token).list
            let first = try #require(consents.first?["provisions"])
            let second = try await api(
                .post, "/api/v1/clients/\(clientID)/consents", as: token,
                ["grantor": "client", "obtained_on": "2026-01-05", "evidence": "verbal", "legal_basis": "explicit_consent", "provisions": first])
            ids["consent-\(which)"] = second.id
        }
        return ids
    }
}
