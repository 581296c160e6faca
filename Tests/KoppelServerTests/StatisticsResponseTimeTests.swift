import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// The share of referrals a programme answered within its response time, through the API against real PostgreSQL:
/// referrals filed on Thursday 2 April 2026 are due on Monday 13 April in the Netherlands (five working days past Good
/// Friday and Easter Monday) and on Friday 10 April in Belgium; the clock is moved to answer them in time and late.
@Suite("Statistics: answered within the response time")
struct StatisticsResponseTimeTests {
    /// The programme's first answers, taken in turn; accepting takes a place, of which PIMENTA has only two.
    static func answer(_ ids: some Collection<String>, as token: String, _ api: APICall, accepting: Bool = true) async throws {
        let answers: [(action: String, extra: [String: Any])] =
            (accepting ? [("accept", [:])] : []) + [("waitlist", [:]), ("decline", ["reason": "needs_not_matched"])]
        for (index, id) in ids.enumerated() {
            let answer = answers[index % answers.count]
            let step = try await api.step(id, answer.action, as: token, answer.extra)
            #expect(step.status == .ok, "\(answer.action): \(step.detail)")
        }
    }

    func report(_ api: APICall, _ programme: String, _ period: String, as token: String) async throws -> [String: Any] {
        let answer = try await api(.get, "/api/v1/statistics?programme=\(programme)&period=\(period)", as: token)
        #expect(answer.status == .ok, "\(answer.detail)")
        return try #require(answer.json["total"] as? [String: Any])
    }

    func count(_ total: [String: Any], _ column: String) -> String {
        guard let figure = (total["figures"] as? [String: [String: Any]])?[column] else { return "missing" }
        return figure["suppressed"] as? Bool == true ? "withheld" : "\(figure["count"] as? Int ?? -1)"
    }

    func share(_ row: [String: Any]) -> String {
        guard let share = row["answered_in_time_share"] as? [String: Any] else { return "none" }
        return share["suppressed"] as? Bool == true ? "withheld" : "\(share["percent"] as? Double ?? -1)"
    }

    @Test("2GO answers 6 in time and 5 late: 11 answered, 54.5 % in time; PIMENTA's 2 late withhold its share; 3 answers in May withhold May's and the quarter's")
    func answeredInTime() async throws {
        let time = MovingClock(startingAt: "2026-04-02T09:00:00+02:00")
        try await TestApp.run(clock: time.clock) { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            var twoGo: [String] = []
            for _ in 0..<13 { twoGo.append(try await api.file(cast.forTwoGo(), as: cast.caseworker)) }
            var pimenta: [String] = []
            for _ in 0..<8 { pimenta.append(try await api.file(cast.forPimenta(), as: cast.caseworker)) }
            let deadline = try await api(.get, "/api/v1/referrals/\(twoGo[0])", as: cast.caseworker).json["deadline"] as? [String: Any]
            #expect(deadline?["due_on"] as? String == "2026-04-13")

            time.set("2026-04-10T15:00:00+02:00")
            try await Self.answer(pimenta.prefix(6), as: cast.pimenta, api, accepting: false)
            time.set("2026-04-13T16:00:00+02:00")
            try await Self.answer(twoGo.prefix(6), as: cast.twoGo, api)
            time.set("2026-04-14T10:00:00+02:00")
            try await Self.answer(twoGo[6..<11], as: cast.twoGo, api)
            try await Self.answer(pimenta.suffix(2), as: cast.pimenta, api, accepting: false)
            // The referrer's withdrawal answers nothing; the last one is never answered.
            #expect(try await api.step(twoGo[11], "withdraw", as: cast.caseworker, ["reason": "client_choice"]).status == .ok)

            let april = try await report(api, cast.twoGoID, "2026-04", as: cast.funder)
            #expect(count(april, "answered") == "11")
            #expect(count(april, "answered_in_time") == "6")
            #expect(count(april, "answered_late") == "5")
            #expect(share(april) == "54.5", "6 of 11")
            let months = try await api(.get, "/api/v1/statistics?programme=\(cast.twoGoID)&period=2026-04", as: cast.funder)
                .json["answered_in_time_by_month"] as? [[String: Any]]
            #expect(months?.map { "\($0["month"] ?? "") \(share($0))" } == ["2026-04 54.5"])

            // PIMENTA (Belgian days: due Friday 10 April): 8 answered, 2 late. The 2 are withheld, and the 6 with them,
            // else 8 - 6 would give them away; so the share is withheld.
            let belgian = try await report(api, cast.pimentaID, "2026-04", as: cast.pimenta)
            #expect(count(belgian, "answered") == "8")
            #expect(count(belgian, "answered_late") == "withheld")
            #expect(count(belgian, "answered_in_time") == "withheld")
            #expect(share(belgian) == "withheld")

            // The same share in the CSV, after the waits.
            let csv = try await client.execute(
                uri: "/api/v1/statistics?programme=\(cast.twoGoID)&period=2026-04", method: .get,
                headers: [.authorization: "Bearer \(cast.funder)", .accept: "text/csv"]
            ) { String(buffer: $0.body) }
            let lines = csv.split(separator: "\r\n")
            #expect(lines.first?.hasSuffix(",answered,answered_in_time,answered_late,submitted_to_accepted_median_days,submitted_to_accepted_p90_days,accepted_to_active_median_days,accepted_to_active_p90_days,answered_in_time_share_percent") == true)
            #expect(lines.last?.hasSuffix(",11,6,5,,,,,54.5") == true, "\(lines.last ?? "")")

            // May: 3 filed and answered in time, too few to show; the quarter draws on May, so its share is withheld too.
            time.set("2026-05-04T09:00:00+02:00")
            var may: [String] = []
            for _ in 0..<3 { may.append(try await api.file(cast.forTwoGo(), as: cast.caseworker)) }
            time.set("2026-05-05T09:00:00+02:00")
            try await Self.answer(may, as: cast.twoGo, api)
            let quarter = try await api(.get, "/api/v1/statistics?programme=\(cast.twoGoID)&period=2026-Q2", as: cast.funder).json
            let byMonth = (quarter["answered_in_time_by_month"] as? [[String: Any]])?.map { "\($0["month"] ?? "") \(share($0))" }
            #expect(byMonth == ["2026-04 54.5", "2026-05 withheld"])
            let total = try #require(quarter["total"] as? [String: Any])
            #expect(count(total, "answered") == "withheld" && share(total) == "withheld")
        }
    }

    @Test("referrals answered before schema 0015 count once it is applied: the migration reads the answers the facts already hold")
    func answeredBeforeTheMigration() async throws {
        let time = MovingClock(startingAt: "2026-04-02T09:00:00+02:00")
        try await TestDatabases.withEmptyDatabase { database in
            let migrations = try Migration.load(from: try TestEnvironment.current().schemaDirectory)
            func migrate(upTo last: Int) async throws {
                try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { client in
                    try await MigrationRunner(client: client, migrations: migrations.filter { $0.version <= last }, logger: quietLogger).migrate()
                    // The demo as far as the schema goes (organisations and programmes at 14), then whole.
                    if last == migrations.count {
                        let reference = try ReferenceData.load(from: try TestEnvironment.current().referenceDirectory)
                        _ = try await ReferenceImporter(client: client, logger: quietLogger).run(reference)
                    }
                    if last == 14 || last == migrations.count { try await DemoSeeder(client: client, logger: quietLogger).seed(try DemoData.bundled()) }
                }
            }
            func app<T: Sendable>(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
                try await TestApp.run(databaseURL: database.appURL, vaultURL: database.vaultURL, requestTimeoutSeconds: 60, clock: time.clock, body)
            }
            try await migrate(upTo: 14)
            let cast = try await app { client in try await ReferralCast.make(client, database) }
            // Ten referrals to 2GO filed on 2 April and answered as the service did before 0015 (which only wrote whether
            // in time on the referral): five accepted on 13 April, in time, five on 14 April, late. Loaded as rows, since
            // today's service needs today's schema.
            try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { admin in
                _ = try await admin.query(
                    PostgresQuery(
                        unsafeSQL: """
                            WITH made AS (
                                SELECT gen_random_uuid() AS id, gen_random_uuid() AS client_id, i, '2026-04-02T09:00:00+02:00'::timestamptz AS at,
                                       CASE WHEN i <= 5 THEN '2026-04-13T16:00:00+02:00' ELSE '2026-04-14T10:00:00+02:00' END::timestamptz AS answered,
                                       (SELECT id FROM organisations WHERE slug = 'vluchtelingenwerk') AS org,
                                       (SELECT id FROM users WHERE email = 'cw@vw.example') AS author,
                                       '\(cast.twoGoID)'::uuid AS programme, (SELECT id FROM organisations WHERE slug = 'stek') AS operator
                                FROM generate_series(1, 10) AS i
                            ), clients AS (
                                INSERT INTO clients (id, organisation_id, registered_by, registered_at) SELECT client_id, org, author, at FROM made
                            ), referrals AS (
                                INSERT INTO referrals (id, client_id, referring_organisation_id, referring_user_id, programme_id, operator_id,
                                    target_group, age_band, municipality, needs, urgency, state, created_at, submitted_at, state_changed_at,
                                    answered_in_time)
                                SELECT id, client_id, org, author, programme, operator, 'human_trafficking', '26-35', 'Den Haag', '{social_contact}',
                                       'soon', 'accepted', at, at, answered, i <= 5
                                FROM made RETURNING id
                            )
                            INSERT INTO referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id,
                                actor_organisation_id, action, from_state, to_state)
                            SELECT m.id, m.org, m.operator, s.at, m.author, m.org, s.action, s.from_state, s.to_state
                            FROM made m CROSS JOIN LATERAL (VALUES (m.at, 'submit', NULL, 'submitted'), (m.answered, 'accept', 'submitted', 'accepted'))
                                 AS s (at, action, from_state, to_state)
                            ORDER BY m.i, s.at
                            """), logger: quietLogger)
            }
            try await migrate(upTo: migrations.count)
            try await app { client in
                let april = try await report(APICall(client: client), cast.twoGoID, "2026-04", as: cast.funder)
                #expect(count(april, "answered") == "10" && count(april, "answered_in_time") == "5" && count(april, "answered_late") == "5")
                #expect(share(april) == "50.0")
            }
        }
    }
}
