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

    /// A cell: a status, or (for "route") the route itself.
    enum AnyStatus: Decodable {
        case status(Int)
        case text(String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int.self) { self = .status(number) } else { self = .text(try container.decode(String.self)) }
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
        let settings = ServerSettings(databaseURL: try TestEnvironment.current().app, schemaDirectory: try TestEnvironment.current().schemaDirectory.path)
        let routes = try await buildApplicationAndRoutes(settings: settings).routes
        let served = Set(routes.routes.map { "\($0.method.rawValue) \($0.path)" })
        let listed = Set(matrix.rows.map(Self.route(of:)))
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
            var callers: [(name: String, browser: TestBrowser, token: String?)] = [("anonymous", TestBrowser(client), nil)]
            for (index, role) in matrix.roles.enumerated() {
                let roleValue = try #require(Role(rawValue: role))
                let person = try await TestPeople.make(
                    database, organisation: "vluchtelingenwerk", email: "matrix\(index)@vw.example", roles: [roleValue],
                    enrolled: roleValue.requiresSecondFactor)
                let browser = TestBrowser(client)
                try await TestPeople.signIn(browser, person)
                let token = try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                    try await APITokenStore(client: db, logger: quietLogger)
                        .create(userID: person.id, organisation: person.organisation, name: "matrix", expiresInDays: 1).token.value
                }
                callers.append((role, browser, token))
            }
            var mismatches: [String] = []
            for row in matrix.rows {
                let route = Self.route(of: row)
                let parts = route.split(separator: " ", maxSplits: 1)
                let method = HTTPRequest.Method(rawValue: String(parts[0]))!
                let path = String(parts[1]).replacingOccurrences(of: "{id}", with: programmeID)
                for caller in callers {
                    var headers: HTTPFields = [:]
                    if path.hasPrefix("/api/"), let token = caller.token { headers[.authorization] = "Bearer \(token)" }
                    if method == .post { headers[.contentType] = "application/x-www-form-urlencoded" }
                    let response = try await caller.browser.send(path, method: method, headers: headers, body: method == .post ? ByteBuffer() : nil)
                    let expected = Self.expected(row, for: caller.name)
                    if Int(response.status.code) != expected {
                        mismatches.append("\(route) as \(caller.name): expected \(expected ?? 0), got \(response.status.code)")
                    }
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        }
    }
}
