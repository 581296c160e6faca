import Foundation
import HTTPTypes
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import PostgresNIO
import Testing

/// Someone who reads notices: signed in on the pages, and with an API token for the steps they take.
struct NoticeReader: Sendable {
    let person: TestPeople.Person
    let browser: TestBrowser
    let token: String

    static func make(
        _ client: any TestClientProtocol, _ database: TestDatabase, _ slug: String, _ email: String, _ roles: Set<Role>,
        programme: String? = nil, clock: WallClock = .system
    ) async throws -> NoticeReader {
        let person = try await TestPeople.make(
            database, organisation: slug, email: email, roles: roles, enrolled: true, programmes: Set([programme].compactMap { $0.flatMap(UUID.init) }))
        let token = try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
            try await APITokenStore(client: db, logger: quietLogger)
                .create(userID: person.id, organisation: person.organisation, name: "test", expiresInDays: 365).token.value
        }
        let reader = NoticeReader(person: person, browser: TestBrowser(client), token: token)
        try await TestPeople.signIn(reader.browser, person, clock: clock)
        return reader
    }

    /// Their notice list once it shows `text` (notices are made by a background task, within a second or so; the limit
    /// is for a machine busy with every other suite at once).
    func notices(showing text: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        var page = ""
        for _ in 0..<300 {
            page = try await browser.get("/notices").text
            if page.contains(text) { return page }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no notice saying \(text)", sourceLocation: sourceLocation)
        return page
    }
}

@Suite("Notices: people hear of what needs them")
struct NoticeTests {
    static let canaryName = "Kanarie Zwaluwstaart-Testpersoon"

    @Test("a new referral reaches 2GO's coordinators, each decision the caseworker, never the one who acted, and no notice names the client")
    func newReferralAndDecision() async throws {
        let time = MovingClock(startingAt: "2026-04-02T09:00:00+02:00")
        try await TestApp.run(clock: time.clock, notices: true) { client, database in
            let api = APICall(client: client)
            let twoGo = try await TestApp.programmeID(named: "2GO maatjesprojecten", client)
            let caseworker = try await NoticeReader.make(client, database, "vluchtelingenwerk", "cw@vw.example", [.caseworker], clock: time.clock)
            let coordinator = try await NoticeReader.make(client, database, "stek", "co@stek.example", [.coordinator], programme: twoGo, clock: time.clock)
            let colleague = try await NoticeReader.make(client, database, "stek", "co2@stek.example", [.coordinator], programme: twoGo, clock: time.clock)
            let pimenta = try await NoticeReader.make(
                client, database, "de-aanzet", "co@aanzet.example", [.coordinator],
                programme: try await TestApp.programmeID(named: "PIMENTA", client), clock: time.clock)

            let clientID = try await api.consentedClient(as: caseworker.token, identity: ["name": Self.canaryName, "birth_date": "1987-03-14"])
            let id = try await api.file(
                ["programme_id": twoGo, "client_id": clientID, "target_group": "human_trafficking", "age_band": "26-35",
                 "municipality": "Den Haag", "needs": ["social_contact"], "urgency": "soon"], as: caseworker.token)
            let reference = ReferralReference.short(UUID(uuidString: id)!)

            let list = try await coordinator.notices(showing: "Nieuwe verwijzing \(reference) voor 2GO maatjesprojecten.")
            #expect(!list.contains(Self.canaryName) && !list.contains("1987"))
            _ = try await colleague.notices(showing: reference)
            // The bell on every page counts what is unread.
            #expect(try await coordinator.browser.get("/referrals").text.contains("aria-label=\"1 ongelezen\""))
            #expect(!(try await caseworker.browser.get("/notices").text.contains(reference)), "the caseworker filed it: no notice")
            #expect(!(try await pimenta.browser.get("/notices").text.contains(reference)), "nothing for another programme")

            // Respond by five working days after Thursday 2 April: past Good Friday and Easter Monday, Monday 13 April.
            for reader in [caseworker, coordinator] {
                let referral = try await api(.get, "/api/v1/referrals/\(id)", as: reader.token).json
                let deadline = try #require(referral["deadline"] as? [String: Any])
                #expect(deadline["kind"] as? String == "respond" && deadline["due_on"] as? String == "2026-04-13")
                #expect(deadline["status"] as? String == "on_time")
                let page = try await reader.browser.get("/referrals/\(id)").text
                #expect(page.contains("Reageren uiterlijk") && page.contains("13 april 2026"))
            }

            #expect(try await api.step(id, "accept", as: coordinator.token).status == .ok)
            let caseworkerList = try await caseworker.notices(showing: "Verwijzing \(reference) voor 2GO maatjesprojecten: aangenomen.")
            #expect(!caseworkerList.contains(Self.canaryName))
            try await Task.sleep(for: .milliseconds(600))
            #expect(!(try await coordinator.browser.get("/notices").text.contains("aangenomen")), "the coordinator accepted it themselves")
            // In English on request.
            #expect(try await caseworker.browser.get("/notices?lang=en").text.contains("Referral \(reference) for 2GO maatjesprojecten: "))

            // Opening the notice marks it read and leads to the referral.
            let noticeID = try #require(list.firstMatch(of: /action="\/notices\/([0-9]+)\/open"/)?.output.1)
            let csrf = try await coordinator.browser.csrf(on: "/notices")
            let opened = try await coordinator.browser.post("/notices/\(noticeID)/open", form: ["csrf_token": csrf])
            #expect(opened.headers[.location] == "/referrals/\(id)")
            #expect(try await coordinator.browser.get("/referrals").text.contains("aria-label=\"0 ongelezen\""))
            // Nobody opens another's notice.
            let othersCSRF = try await colleague.browser.csrf(on: "/notices")
            #expect(try await pimenta.browser.post("/notices/\(noticeID)/open", form: ["csrf_token": othersCSRF]).status == .forbidden)
            let pimentaCSRF = try await pimenta.browser.csrf(on: "/notices")
            #expect(try await pimenta.browser.post("/notices/\(noticeID)/open", form: ["csrf_token": pimentaCSRF]).status == .notFound)
        }
    }

    @Test("through the Easter week: overdue the working day after the deadline, escalated at twice the time, Belgium on its own calendar")
    func deadlinesThroughEaster() async throws {
        let time = MovingClock(startingAt: "2026-04-02T09:00:00+02:00")
        try await TestApp.run(clock: time.clock, notices: true) { client, database in
            let api = APICall(client: client)
            let twoGo = try await TestApp.programmeID(named: "2GO maatjesprojecten", client)
            let pimentaID = try await TestApp.programmeID(named: "PIMENTA", client)
            let caseworker = try await NoticeReader.make(client, database, "vluchtelingenwerk", "cw@vw.example", [.caseworker], clock: time.clock)
            let coordinator = try await NoticeReader.make(client, database, "stek", "co@stek.example", [.coordinator], programme: twoGo, clock: time.clock)
            let admin = try await NoticeReader.make(client, database, "stek", "admin@stek.example", [.orgAdmin], clock: time.clock)
            let pimenta = try await NoticeReader.make(client, database, "de-aanzet", "co@aanzet.example", [.coordinator], programme: pimentaID, clock: time.clock)
            let dutch = try await api.file(
                ["programme_id": twoGo, "target_group": "human_trafficking", "age_band": "26-35", "municipality": "Den Haag",
                 "needs": ["social_contact"], "urgency": "soon"], as: caseworker.token)
            let belgian = try await api.file(
                ["programme_id": pimentaID, "target_group": "human_trafficking", "age_band": "18-25", "municipality": "Mechelen",
                 "needs": ["housing"], "urgency": "urgent"], as: caseworker.token)
            // Belgium works on Good Friday: PIMENTA's answer is due Friday 10 April.
            #expect((try await api(.get, "/api/v1/referrals/\(belgian)", as: caseworker.token).json["deadline"] as? [String: Any])?["due_on"] as? String == "2026-04-10")

            func overdueEvents() async throws -> [String] {
                try await PostgresClient.withRunningClient(database.adminURL, logger: quietLogger) { db in
                    try await db.query("SELECT subject_id::text FROM outbox WHERE event_type = 'referral.overdue' ORDER BY id", logger: quietLogger)
                        .collect().map { try $0.decode(String.self) }
                }
            }
            func status(_ id: String) async throws -> String? {
                (try await api(.get, "/api/v1/referrals/\(id)", as: caseworker.token).json["deadline"] as? [String: Any])?["status"] as? String
            }

            time.set("2026-04-10T23:30:00+02:00")
            try await Task.sleep(for: .seconds(1))
            #expect(try await overdueEvents().isEmpty, "both are still on time on Friday 10 April")
            time.set("2026-04-11T00:30:00+02:00")
            try await waitUntil("PIMENTA's referral is overdue") { try await overdueEvents() == [belgian] }
            let belgianStatus = try await status(belgian)
            let dutchStatus = try await status(dutch)
            #expect(belgianStatus == "overdue" && dutchStatus == "on_time")

            time.set("2026-04-13T23:00:00+02:00")
            #expect(try await status(dutch) == "due_today")
            time.set("2026-04-14T00:30:00+02:00")
            try await waitUntil("2GO's referral is overdue") { try await overdueEvents() == [belgian, dutch] }
            let reference = ReferralReference.short(UUID(uuidString: dutch)!)
            try await TestPeople.signIn(coordinator.browser, coordinator.person, clock: time.clock)
            _ = try await coordinator.notices(showing: "Verwijzing \(reference) voor 2GO maatjesprojecten is over tijd: reageren uiterlijk 13 april 2026.")
            let queue = try await coordinator.browser.get("/referrals").text
            #expect(queue.contains("Over tijd"), "marked in the coordinator's queue")
            try await TestPeople.signIn(admin.browser, admin.person, clock: time.clock)
            #expect(!(try await admin.browser.get("/notices").text.contains("Escalatie")), "not yet escalated")

            // Twice the time: ten working days after 2 April is Monday 20 April.
            time.set("2026-04-20T23:00:00+02:00")
            try await Task.sleep(for: .seconds(1))
            #expect(!(try await admin.browser.get("/notices").text.contains("Escalatie")))
            time.set("2026-04-21T00:30:00+02:00")
            try await TestPeople.signIn(admin.browser, admin.person, clock: time.clock)
            _ = try await admin.notices(showing: "Escalatie: verwijzing \(reference) voor 2GO maatjesprojecten")
            try await TestPeople.signIn(coordinator.browser, coordinator.person, clock: time.clock)
            #expect(!(try await coordinator.browser.get("/notices").text.contains("Escalatie")), "escalations go to the org-admins")
            #expect(try await overdueEvents().count == 2, "each referral is overdue once")

            // Answered late: the next deadline is counted from the day of the answer, and the marks start over.
            #expect(try await api.step(dutch, "waitlist", as: coordinator.token).status == .ok)
            let deadline = try #require(try await api(.get, "/api/v1/referrals/\(dutch)", as: caseworker.token).json["deadline"] as? [String: Any])
            #expect(deadline["kind"] as? String == "review" && deadline["status"] as? String == "on_time")
            _ = pimenta
        }
    }

    @Test("a caseworker turns decisions off and hears of none; escalations cannot be turned off")
    func turnedOff() async throws {
        try await TestApp.run(notices: true) { client, database in
            let api = APICall(client: client)
            let twoGo = try await TestApp.programmeID(named: "2GO maatjesprojecten", client)
            let caseworker = try await NoticeReader.make(client, database, "vluchtelingenwerk", "cw@vw.example", [.caseworker])
            let coordinator = try await NoticeReader.make(client, database, "stek", "co@stek.example", [.coordinator], programme: twoGo)
            let admin = try await NoticeReader.make(client, database, "stek", "admin@stek.example", [.orgAdmin])

            let settings = try await caseworker.browser.get("/notices/settings").text
            #expect(settings.contains("Besluit of stap op een verwijzing") && !settings.contains("Nieuwe verwijzing"), "only a caseworker's kinds")
            var csrf = try await caseworker.browser.csrf(on: "/notices/settings")
            let saved = try await caseworker.browser.post(
                "/notices/settings", form: ["referral_update": "off", "message": "digest", "digest_time": "07:30", "language": "en", "csrf_token": csrf])
            #expect(saved.headers[.location] == "/notices/settings?saved=1")
            let reread = try await caseworker.browser.get("/notices/settings").text
            #expect(reread.contains("value=\"07:30\"") && reread.contains("<option value=\"off\" selected>"))

            let id = try await api.file(
                ["programme_id": twoGo, "target_group": "human_trafficking", "age_band": "26-35", "municipality": "Den Haag",
                 "needs": ["social_contact"], "urgency": "soon"], as: caseworker.token)
            _ = try await coordinator.notices(showing: ReferralReference.short(UUID(uuidString: id)!))
            #expect(try await api.step(id, "decline", as: coordinator.token, ["reason": "needs_not_matched"]).status == .ok)
            try await Task.sleep(for: .seconds(1))
            #expect(!(try await caseworker.browser.get("/notices").text.contains(ReferralReference.short(UUID(uuidString: id)!))), "turned off")

            csrf = try await admin.browser.csrf(on: "/notices/settings")
            let refused = try await admin.browser.post(
                "/notices/settings", form: ["escalation": "off", "digest_time": "08:00", "language": "nl", "csrf_token": csrf])
            #expect(refused.status == .unprocessableContent && refused.text.contains("Escalaties kunnen niet worden uitgezet."))
            let badTime = try await admin.browser.post(
                "/notices/settings", form: ["escalation": "digest", "digest_time": "25:00", "language": "nl", "csrf_token": csrf])
            #expect(badTime.status == .unprocessableContent && badTime.text.contains("Vul een tijd in als 08:00."))
            #expect(try await admin.browser.get("/notices/settings").text.contains("<option value=\"immediate\" selected>"), "nothing saved")
        }
    }
}

/// Waits up to thirty seconds for `condition`.
func waitUntil(_ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool) async throws {
    for _ in 0..<300 {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("waited in vain: \(what)", sourceLocation: sourceLocation)
}

@Suite("A programme's own deadlines")
struct ProgrammeDeadlineTests {
    @Test("a coordinator sets 2GO's response time to two working days: a new referral is due two working days on; 0 and 61 are refused")
    func ownResponseTime() async throws {
        let time = MovingClock(startingAt: "2026-04-02T09:00:00+02:00")
        try await TestApp.run(clock: time.clock) { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            let path = "/api/v1/programmes/\(cast.twoGoID)"
            for wrong in [0, 61] {
                let refused = try await api(.patch, path, as: cast.twoGo, ["response_working_days": wrong])
                #expect(refused.status == .unprocessableContent || refused.status == .badRequest, "\(refused.status)")
            }
            #expect(try await api(.get, path, as: nil).json["response_working_days"] as? Int == 5, "nothing changed; 5 by default")
            let changed = try await api(.patch, path, as: cast.twoGo, ["response_working_days": 2, "start_working_days": 10])
            #expect(changed.status == .ok && changed.json["response_working_days"] as? Int == 2 && changed.json["start_working_days"] as? Int == 10)
            let id = try await api.file(cast.forTwoGo(), as: cast.caseworker)
            let deadline = try #require(try await api(.get, "/api/v1/referrals/\(id)", as: cast.caseworker).json["deadline"] as? [String: Any])
            // Thursday 2 April, then Good Friday, the weekend and Easter Monday: Tuesday 7 and Wednesday 8 April.
            #expect(deadline["due_on"] as? String == "2026-04-08" && deadline["escalate_on"] as? String == "2026-04-10")
            #expect(try await api.step(id, "accept", as: cast.twoGo).status == .ok)
            let start = try #require(try await api(.get, "/api/v1/referrals/\(id)", as: cast.caseworker).json["deadline"] as? [String: Any])
            #expect(start["kind"] as? String == "start" && start["due_on"] as? String == "2026-04-20")
        }
    }
}
