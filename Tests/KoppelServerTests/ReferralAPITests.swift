import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelTestSupport
import Testing

@Suite("Referrals through the API")
struct ReferralAPITests {
    @Test("a caseworker submits to 2GO; only the referrer and 2GO's coordinator see it; the coordinator accepts, starts and completes")
    func lifecycle() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let id = try await api.file(cast.forTwoGo(["requested_start": "2026-12-01"]), as: cast.caseworker)
            let filed = try await api(.get, "/api/v1/referrals/\(id)", as: cast.caseworker)
            #expect(filed.state == "submitted")
            #expect(filed.json["fhir_task_status"] as? String == "requested")
            #expect(filed.json["allowed_actions"] as? [String] == ["withdraw"])
            let seen = try await api(.get, "/api/v1/referrals/\(id)", as: cast.twoGo)
            #expect(seen.json["allowed_actions"] as? [String] == ["accept", "decline", "waitlist", "forward"])
            for outsider in [cast.otherCaseworker, cast.pimenta] {
                let answer = try await api(.get, "/api/v1/referrals/\(id)", as: outsider)
                #expect(answer.status == .notFound)
                #expect(try await api(.get, "/api/v1/referrals/\(id)/history", as: outsider).status == .notFound)
                #expect(try await api.step(id, "accept", as: outsider).status == .notFound)
            }
            #expect(try await api(.get, "/api/v1/referrals/\(id)", as: cast.funder).status == .forbidden)

            let byReferrer = try await api.step(id, "accept", as: cast.caseworker)
            #expect(byReferrer.status == .forbidden)
            #expect(byReferrer.detail.contains("coordinator"))
            #expect(try await api.step(id, "accept", as: cast.twoGo).state == "accepted")
            let early = try await api.step(id, "complete", as: cast.twoGo)
            #expect(early.status == .conflict)
            #expect(early.detail == "A referral that is accepted cannot be given 'complete'; possible steps: withdraw, start, end.")
            #expect(try await api.step(id, "start", as: cast.twoGo).state == "active")
            let done = try await api.step(id, "complete", as: cast.twoGo)
            #expect(done.state == "completed")
            #expect(done.json["allowed_actions"] as? [String] == [])
            #expect(try await api.step(id, "withdraw", as: cast.caseworker).status == .conflict)

            let history = try await api(.get, "/api/v1/referrals/\(id)/history", as: cast.caseworker).list
            #expect(history.map { $0["action"] as? String } == ["submit", "accept", "start", "complete"])
            #expect(history.map { $0["to_state"] as? String } == ["submitted", "accepted", "active", "completed"])
            #expect(history.map { ($0["organisation"] as? [String: Any])?["name"] as? String } == ["VluchtelingenWerk", "Stek", "Stek", "Stek"])
            // Names of people show to their own organisation only.
            #expect(history[0]["user_name"] as? String == "cw@vw.example")
            #expect(history[1]["user_name"] == nil)
        }
    }

    @Test("declining and ending need a coded reason; a wrong one is refused and says which fit")
    func reasons() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let id = try await api.file(cast.forTwoGo(), as: cast.caseworker)
            let missing = try await api.step(id, "decline", as: cast.twoGo)
            #expect(missing.status == .unprocessableContent)
            #expect(missing.detail.contains("needs_not_matched"))
            #expect(try await api.step(id, "decline", as: cast.twoGo, ["reason": "client_moved"]).status == .unprocessableContent)
            #expect(try await api.step(id, "decline", as: cast.twoGo, ["reason": "dunno"]).status == .badRequest)
            let declined = try await api.step(id, "decline", as: cast.twoGo, ["reason": "needs_not_matched"])
            #expect(declined.state == "declined")
            let history = try await api(.get, "/api/v1/referrals/\(id)/history", as: cast.caseworker).list
            #expect(history.last?["reason"] as? String == "needs_not_matched")
        }
    }

    @Test("eligibility is checked at submission: a failed rule is a 422 naming it, unless overridden with a reason the coordinator sees")
    func eligibility() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let tooOld = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forPimenta(["age_band": "26-35", "municipality": "Den Haag"]))
            #expect(tooOld.status == .unprocessableContent)
            #expect(tooOld.detail.contains("age, region"))
            let list = try await api(.get, "/api/v1/referrals", as: cast.caseworker)
            #expect((list.json["items"] as? [Any])?.isEmpty == true, "a refused referral must leave nothing behind")

            let id = try await api.file(
                cast.forPimenta(["age_band": "26-35", "override_reason": "close_to_age_limit"]), as: cast.caseworker)
            let seen = try await api(.get, "/api/v1/referrals/\(id)", as: cast.pimenta)
            #expect(seen.json["overridden_rules"] as? [String] == ["age"])
            #expect(seen.json["override_reason"] as? String == "close_to_age_limit")

            let unknown = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["municipality": "Atlantis"]))
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.detail.contains("Atlantis"))
            // A draft is checked when it is submitted.
            let draft = try await api.file(cast.forTwoGo(["state": "draft", "municipality": "Utrecht"]), as: cast.caseworker)
            let submitted = try await api.step(draft, "submit", as: cast.caseworker)
            #expect(submitted.status == .unprocessableContent)
            #expect(submitted.detail.contains("region"))
            let overridden = try await api.step(draft, "submit", as: cast.caseworker, ["override_reason": "moving_to_area"])
            #expect(overridden.state == "submitted")
            #expect(overridden.json["overridden_rules"] as? [String] == ["region"])
        }
    }

    @Test("drafts stay with the referrer until submitted")
    func drafts() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let id = try await api.file(cast.forTwoGo(["state": "draft"]), as: cast.caseworker)
            #expect(try await api(.get, "/api/v1/referrals/\(id)", as: cast.twoGo).status == .notFound)
            #expect((try await api(.get, "/api/v1/referrals", as: cast.twoGo).json["items"] as? [Any])?.count == 0)
            #expect(try await api.step(id, "submit", as: cast.caseworker).state == "submitted")
            #expect(try await api(.get, "/api/v1/referrals/\(id)", as: cast.twoGo).status == .ok)
            // A draft withdrawn without ever being submitted never reaches the programme either.
            let discarded = try await api.file(cast.forTwoGo(["state": "draft"]), as: cast.caseworker)
            #expect(try await api.step(discarded, "withdraw", as: cast.caseworker, ["reason": "entered_in_error"]).state == "withdrawn")
            #expect(try await api(.get, "/api/v1/referrals/\(discarded)", as: cast.twoGo).status == .notFound)
            #expect(try await api(.get, "/api/v1/referrals/\(discarded)/history", as: cast.twoGo).status == .notFound)
            let listed = try await api(.get, "/api/v1/referrals?state=withdrawn", as: cast.twoGo).json["items"] as? [Any]
            #expect(listed?.isEmpty == true)
        }
    }

    @Test("no place free: accepting is refused and the coordinator waitlists; when a place frees up the list shows who is next")
    func capacityAndWaitingList() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            var ids: [String] = []
            for _ in 0..<4 { ids.append(try await api.file(cast.forPimenta(), as: cast.caseworker)) }
            #expect(try await api.step(ids[0], "accept", as: cast.pimenta).state == "accepted")
            #expect(try await api.step(ids[1], "accept", as: cast.pimenta).state == "accepted")
            let full = try await api.step(ids[2], "accept", as: cast.pimenta)
            #expect(full.status == .conflict)
            #expect(full.detail == "All 2 places of the programme are taken; waitlist the referral instead.")
            #expect(try await api.step(ids[3], "waitlist", as: cast.pimenta).state == "waitlisted")
            #expect(try await api.step(ids[2], "waitlist", as: cast.pimenta).state == "waitlisted")

            let capacity = try await api(.get, "/api/v1/programmes/\(cast.pimentaID)/capacity", as: cast.otherCaseworker)
            #expect(capacity.json["places_total"] as? Int == 2)
            #expect(capacity.json["places_in_use"] as? Int == 2)
            #expect(capacity.json["places_free"] as? Int == 0)
            #expect(capacity.json["waitlisted"] as? Int == 2)
            #expect(try await api(.get, "/api/v1/programmes/\(cast.pimentaID)/capacity", as: nil).status == .unauthorized)

            let waiting = try await api(.get, "/api/v1/programmes/\(cast.pimentaID)/waiting-list", as: cast.pimenta).list
            #expect(waiting.map { $0["referral_id"] as? String } == [ids[3], ids[2]])
            #expect(waiting.map { $0["position"] as? Int } == [1, 2])
            #expect(try await api(.get, "/api/v1/referrals/\(ids[2])", as: cast.caseworker).json["waitlist_position"] as? Int == 2)
            #expect(try await api(.get, "/api/v1/programmes/\(cast.pimentaID)/waiting-list", as: cast.caseworker).status == .forbidden)
            #expect(try await api(.get, "/api/v1/programmes/\(cast.pimentaID)/waiting-list", as: cast.twoGo).status == .forbidden)

            // The referrer withdraws an accepted referral: a place is free, and the first on the list takes it.
            #expect(try await api.step(ids[0], "withdraw", as: cast.caseworker, ["reason": "other_support_found"]).state == "withdrawn")
            #expect(try await api(.get, "/api/v1/programmes/\(cast.pimentaID)/capacity", as: cast.pimenta).json["places_free"] as? Int == 1)
            #expect(try await api.step(ids[3], "accept", as: cast.pimenta).state == "accepted")
            #expect(try await api(.get, "/api/v1/referrals/\(ids[2])", as: cast.caseworker).json["waitlist_position"] as? Int == 1)

            // Read by id (one statement, through the view `referral_rows`) and in a list (`ReferralRow.columns`), each
            // referral, in each of its states here, shows the same.
            let listed = try await api(.get, "/api/v1/referrals?limit=10", as: cast.caseworker).json["items"] as? [[String: Any]] ?? []
            #expect(Set(listed.compactMap { $0["id"] as? String }) == Set(ids))
            for item in listed {
                let byID = try await api(.get, "/api/v1/referrals/\(item["id"] as? String ?? "")", as: cast.caseworker).json
                let shared = Set(item.keys).intersection(byID.keys)
                #expect(shared.isSuperset(of: ["id", "state", "municipality", "programme", "waitlist_position", "created_at", "version"].filter { item[$0] != nil }))
                func json(_ value: Any?) throws -> Data { try JSONSerialization.data(withJSONObject: [value ?? NSNull()], options: .sortedKeys) }
                for key in shared {
                    #expect(try json(byID[key]) == json(item[key]), "\(key) of \(item["id"] ?? "")")
                }
            }
        }
    }

    @Test("two coordinators accept the last place at the same moment: exactly one wins, the other gets a clear conflict")
    func lastPlaceRace() async throws {
        try await TestApp.run(over: .live) { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            for round in 0..<5 {
                // PIMENTA has 2 places; one is taken, two referrals want the other.
                var ids: [String] = []
                for _ in 0..<3 { ids.append(try await api.file(cast.forPimenta(), as: cast.caseworker)) }
                #expect(try await api.step(ids[0], "accept", as: cast.pimenta).state == "accepted")
                let (one, other) = (ids[1], ids[2])
                async let first = api.step(one, "accept", as: cast.pimenta)
                async let second = api.step(other, "accept", as: cast.pimentaColleague)
                let answers = try await [first, second]
                #expect(answers.filter { $0.status == .ok }.count == 1, "round \(round): \(answers.map(\.status))")
                #expect(answers.filter { $0.status == .conflict }.first?.detail.contains("places of the programme are taken") == true)
                let capacity = try await api(.get, "/api/v1/programmes/\(cast.pimentaID)/capacity", as: cast.pimenta)
                #expect(capacity.json["places_in_use"] as? Int == 2)
                // Free both places for the next round.
                for id in ids { _ = try await api.step(id, "withdraw", as: cast.caseworker, ["reason": "entered_in_error"]) }
            }
            // The same referral accepted twice at once: one accept, one 409 naming its state.
            let id = try await api.file(cast.forPimenta(), as: cast.caseworker)
            async let first = api.step(id, "accept", as: cast.pimenta)
            async let second = api.step(id, "accept", as: cast.pimentaColleague)
            let answers = try await [first, second]
            #expect(answers.map(\.status.code).sorted() == [200, 409])
            #expect(answers.first { $0.status == .conflict }?.detail.contains("is accepted") == true)
            let history = try await api(.get, "/api/v1/referrals/\(id)/history", as: cast.caseworker).list
            #expect(history.filter { $0["action"] as? String == "accept" }.count == 1)
        }
    }

    @Test("a retried submission with the same Idempotency-Key returns the first answer and never makes a second referral")
    func idempotency() async throws {
        try await TestApp.run(over: .live) { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let clientID = try await api.consentedClient(as: cast.caseworker)
            let body = cast.forTwoGo(["client_id": clientID])
            let first = try await api(.post, "/api/v1/referrals", as: cast.caseworker, body, key: "submit-1")
            let again = try await api(.post, "/api/v1/referrals", as: cast.caseworker, body, key: "submit-1")
            #expect(first.status == .created && again.status == .created)
            #expect(first.id == again.id)
            // Retries racing each other make one referral too.
            async let a = api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["client_id": clientID]), key: "submit-2")
            async let b = api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["client_id": clientID]), key: "submit-2")
            let raced = try await [a, b]
            #expect(raced[0].id == raced[1].id)
            for key in ["two words", "%41"] {  // a percent sign would be read as an escape by some clients and not by others
                let refused = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["client_id": clientID]), key: key)
                #expect(refused.status == .badRequest && refused.detail.contains("Idempotency-Key"), "\(key): \(refused.detail)")
            }
            let items = try await api(.get, "/api/v1/referrals", as: cast.caseworker).json["items"] as? [Any]
            #expect(items?.count == 2)

            let changed = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["urgency": "urgent", "client_id": clientID]), key: "submit-1")
            #expect(changed.status == .unprocessableContent)
            #expect(changed.detail.contains("Idempotency-Key"))

            let accepted = try await api.step(first.id, "accept", as: cast.twoGo, key: "accept-1")
            let replayed = try await api.step(first.id, "accept", as: cast.twoGo, key: "accept-1")
            #expect(replayed.status == .ok)
            #expect(replayed.json["version"] as? Int == accepted.json["version"] as? Int)
            let history = try await api(.get, "/api/v1/referrals/\(first.id)/history", as: cast.twoGo).list
            #expect(history.count == 2)
            #expect(try await api.step(first.id, "start", as: cast.twoGo, key: "accept-1").status == .unprocessableContent)
            // Another user's key of the same name is theirs alone.
            let other = try await api(.post, "/api/v1/referrals", as: cast.otherCaseworker, cast.forTwoGo(), key: "submit-1")
            #expect(other.status == .created && other.id != first.id)
        }
    }

    @Test("forwarding creates a linked referral to the other programme; the forwarding side no longer sees the new one")
    func forwarding() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            let id = try await api.file(cast.forTwoGo(), as: cast.caseworker)
            #expect(try await api.step(id, "forward", as: cast.twoGo).status == .unprocessableContent)
            #expect(try await api.step(id, "forward", as: cast.twoGo, ["target_programme_id": cast.twoGoID]).status == .unprocessableContent)
            let ineligible = try await api.step(id, "forward", as: cast.twoGo, ["target_programme_id": cast.pimentaID])
            #expect(ineligible.status == .unprocessableContent)
            let notForTandem = try await api.step(id, "forward", as: cast.twoGo, ["target_programme_id": cast.tandemID])
            #expect(notForTandem.status == .unprocessableContent)
            #expect(notForTandem.detail.contains("target_group"))
            let forwarded = try await api.step(
                id, "forward", as: cast.twoGo, ["target_programme_id": cast.tandemID, "override_reason": "professional_judgement"])
            #expect(forwarded.state == "forwarded", "\(forwarded.status): \(forwarded.detail)")
            let history = try await api(.get, "/api/v1/referrals/\(id)/history", as: cast.caseworker).list
            let newID = try #require(history.last?["related_referral_id"] as? String)
            let onward = try await api(.get, "/api/v1/referrals/\(newID)", as: cast.caseworker)
            #expect(onward.state == "submitted")
            #expect(onward.json["forwarded_from"] as? String == id)
            #expect(onward.json["overridden_rules"] as? [String] == ["target_group"])
            #expect((onward.json["referring_organisation"] as? [String: Any])?["name"] as? String == "VluchtelingenWerk")
            #expect(try await api(.get, "/api/v1/referrals/\(newID)", as: cast.tandem).status == .ok)
            #expect(try await api(.get, "/api/v1/referrals/\(newID)", as: cast.twoGo).status == .notFound)
            let onwardHistory = try await api(.get, "/api/v1/referrals/\(newID)/history", as: cast.tandem).list
            #expect(onwardHistory.first?["related_referral_id"] as? String == id)
        }
    }

    @Test("lists: filters, cursor pages with a capped size, and clear errors for bad parameters")
    func listing() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            var ids: [String] = []
            for _ in 0..<5 { ids.append(try await api.file(cast.forTwoGo(), as: cast.caseworker)) }
            ids.append(try await api.file(cast.forPimenta(), as: cast.caseworker))
            _ = try await api.step(ids[0], "accept", as: cast.twoGo)
            var seen: [String] = []
            var uri = "/api/v1/referrals?limit=2"
            while true {
                let page = try await api(.get, uri, as: cast.caseworker)
                let items = try #require(page.json["items"] as? [[String: Any]])
                #expect(items.count <= 2)
                seen += items.compactMap { $0["id"] as? String }
                guard let next = page.json["next_cursor"] as? String else { break }
                uri = "/api/v1/referrals?limit=2&cursor=\(next)"
            }
            #expect(seen == ids.reversed())
            let twoGoOnly = try await api(.get, "/api/v1/referrals?programme_id=\(cast.twoGoID)&state=submitted", as: cast.caseworker)
            #expect((twoGoOnly.json["items"] as? [Any])?.count == 4)
            let coordinatorSees = try await api(.get, "/api/v1/referrals?limit=100", as: cast.twoGo)
            #expect((coordinatorSees.json["items"] as? [Any])?.count == 5)
            let today = CalendarDay.day(at: Date())  // the day in Amsterdam, as the database counts it
            let dated = try await api(.get, "/api/v1/referrals?created_from=\(today)&created_to=\(today)&limit=100", as: cast.caseworker)
            #expect((dated.json["items"] as? [Any])?.count == 6)
            let forged = try await api(.get, "/api/v1/referrals?cursor=bogus", as: cast.caseworker)
            #expect(forged.status == .unprocessableContent && forged.detail.contains("cursor"), "\(forged.detail)")
            for (query, words) in [("limit=500", "limit"), ("cursor=no.good", "cursor"), ("created_from=yesterday", "YYYY-MM-DD"),
                                   ("programme_id=nope", "programme_id"), ("state=lost", "lost")] {
                let answer = try await api(.get, "/api/v1/referrals?\(query)", as: cast.caseworker)
                #expect(answer.status == .badRequest, "\(query)")
                #expect(answer.detail.contains(words), "\(query): \(answer.detail)")
            }
        }
    }

    @Test("malformed referrals are 400 or 422 with a message that says what to fix")
    func badInput() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            var missing = cast.forTwoGo()
            missing.removeValue(forKey: "age_band")
            #expect(try await api(.post, "/api/v1/referrals", as: cast.caseworker, missing).status == .badRequest)
            #expect(try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["age_band": "40"])).status == .badRequest)
            #expect(try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["name": "Jane Doe"])).status == .badRequest)
            let twice = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["needs": ["housing", "housing"]]))
            #expect(twice.status == .unprocessableContent)
            let date = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["requested_start": "2026-02-30"]))
            #expect(date.status == .badRequest)
            #expect(date.detail.contains("requested_start"))
            let programme = try await api(.post, "/api/v1/referrals", as: cast.caseworker, cast.forTwoGo(["programme_id": UUID().uuidString]))
            #expect(programme.status == .unprocessableContent)
            let someone = UUID().uuidString
            #expect(try await api(.post, "/api/v1/referrals", as: cast.twoGo, cast.forTwoGo(["client_id": someone])).status == .forbidden)
            #expect(try await api(.post, "/api/v1/referrals", as: nil, cast.forTwoGo(["client_id": someone])).status == .unauthorized)
            #expect(try await api(.get, "/api/v1/referrals/not-an-id", as: cast.caseworker).status == .badRequest)
            #expect(try await api(.get, "/api/v1/referrals/\(UUID())", as: cast.caseworker).status == .notFound)
        }
    }
}
