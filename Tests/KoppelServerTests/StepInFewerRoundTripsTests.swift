import Foundation
import HTTPTypes
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// A step on a referral reads the referral with its programme's terms in the statement that sets the tenant (over the
/// API, the one that checks the token too, decision 0032), claims a place in one statement, and writes the new state,
/// its event and its notice in one (decision 0031): all of it still in one transaction, and none of it able to touch
/// another organisation's referral.
@Suite("A step on a referral in fewer round trips")
struct StepInFewerRoundTripsTests {
    @Test("an accept is read, counted and written by one statement each: its state, deadline, event and notice are written together, and the answer is what a read then shows")
    func acceptWrittenTogether() async throws {
        try await TestApp.run(before: AdminDatabase.trackFunctions) { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let filed = try await api.submittedToTwoGo(cast, as: cast.caseworker)

            let accepted = try await api.step(filed.id, "accept", as: cast.twoGo)
            #expect(accepted.status == .ok && accepted.state == "accepted", "\(accepted.status) \(accepted.detail)")
            #expect(accepted.json["version"] as? Int == 2)
            #expect((accepted.json["deadline"] as? [String: Any])?["kind"] as? String == "start", "accepting brings the deadline to start")
            let read = try await api(.get, "/api/v1/referrals/\(filed.id)", as: cast.twoGo)
            #expect(NSDictionary(dictionary: read.json).isEqual(to: accepted.json), "the answer is the referral as it now is")
            for function in ["referral_for_step_for_token", "places_claimed", "record_step"] {
                #expect(try await AdminDatabase.calls(of: function, database, atLeast: 1) >= 1, "\(function)")
            }
            let events = "SELECT count(*) FROM referral_events WHERE referral_id = '\(filed.id)' AND action = 'accept' AND from_state = 'submitted' AND to_state = 'accepted'"
            #expect(try await AdminDatabase.count(database, events) == 1)
            let notice = "SELECT count(*) FROM outbox WHERE subject_id = '\(filed.id)' AND event_type = 'referral.accepted' AND (data->>'version')::int = 2"
            #expect(try await AdminDatabase.count(database, notice) == 1, "its notice, of the new version")
        }
    }

    @Test("a step through another door (FHIR: the token checked before, the actor known) reads the referral by the statement that sets the tenant, not the token's")
    func otherDoors() async throws {
        try await TestApp.run(before: AdminDatabase.trackFunctions) { client, database in
            let cast = try await ReferralCast.make(client, database)
            let fhir = FHIRCall(client: client)
            let id = try await APICall(client: client).file(cast.forTwoGo(), as: cast.caseworker)
            var task = try await fhir(.get, "Task/\(id)", as: cast.twoGo).json
            task["status"] = "accepted"
            task["businessStatus"] = nil
            let accepted = try await fhir(.put, "Task/\(id)", as: cast.twoGo, task, headers: [.ifMatch: "W/\"1\""])
            #expect(accepted.status == .ok && accepted.json["status"] as? String == "accepted", "\(accepted.text)")
            #expect(try await AdminDatabase.calls(of: "referral_for_step_as", database, atLeast: 1) == 1)
            #expect(try await AdminDatabase.calls(of: "referral_for_step_for_token", database, atLeast: 0) == 0)
        }
    }

    @Test("the write, run straight as the app role for another organisation's referral or from a state it is no longer in, changes nothing and writes no event or notice")
    func writeStaysWithinTheTenant() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let filed = try await api.submittedToTwoGo(cast, as: cast.caseworker)
            let humanitas = try await AdminDatabase.text(database, "SELECT id::text FROM organisations WHERE slug = 'humanitas'")
            let stek = try await AdminDatabase.text(database, "SELECT id::text FROM organisations WHERE slug = 'stek'")
            // The write as a step's transaction runs it: the tenant set first, as the app role (row-level security applies).
            func write(acting organisation: String, from state: String = "submitted") async throws -> Int {
                try await PostgresClient.withRunningClient(database.appURL, maximumConnections: 1, logger: quietLogger) { app in
                    try await app.withTransaction(logger: quietLogger) { connection in
                        _ = try await connection.query(
                            "SELECT act_as(\(organisation), '', extract(epoch FROM clock_timestamp())::text, '')", logger: quietLogger
                        ).collect()
                        return try await connection.query(
                            """
                            SELECT id FROM record_step(\(filed.id)::uuid, \(state), 'declined', 'decline', 'no_capacity', NULL, NULL,
                                \(organisation)::uuid, NULL, NULL, NULL, NULL, 'referral.declined', ARRAY[\(organisation)::uuid], '{}')
                            """, logger: quietLogger
                        ).collect().count
                    }
                }
            }
            #expect(try await write(acting: humanitas) == 0, "an organisation that neither filed nor runs it")
            #expect(try await AdminDatabase.text(database, "SELECT state FROM referrals WHERE id = '\(filed.id)'") == "submitted")
            #expect(try await AdminDatabase.count(database, "SELECT count(*) FROM referral_events WHERE referral_id = '\(filed.id)'") == 1)
            #expect(try await AdminDatabase.count(database, "SELECT count(*) FROM outbox WHERE subject_id = '\(filed.id)'") == 1)
            #expect(try await write(acting: stek, from: "accepted") == 0, "a step from a state the referral is no longer in")
            #expect(try await AdminDatabase.count(database, "SELECT count(*) FROM referral_events WHERE referral_id = '\(filed.id)'") == 1)
            #expect(try await write(acting: stek) == 1, "the programme's operator: the same statement writes")
            #expect(try await AdminDatabase.count(database, "SELECT count(*) FROM referral_events WHERE referral_id = '\(filed.id)'") == 2)
        }
    }
}
