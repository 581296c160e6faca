import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelTestSupport
import Testing

/// FHIR R4 calls and what came back.
struct FHIRCall: Sendable {
    let client: any TestClientProtocol

    func callAsFunction(
        _ method: HTTPRequest.Method, _ path: String, as token: String?, _ body: [String: Any]? = nil, headers extra: HTTPFields = [:]
    ) async throws -> APICall.Answer {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var buffer: ByteBuffer?
        if let body {
            headers[.contentType] = "application/fhir+json"
            buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
        }
        return try await client.execute(uri: "/fhir/r4/\(path)", method: method, headers: headers, body: buffer) { response in
            #expect(response.headers[.contentType]?.hasPrefix("application/fhir+json") == true, "\(path): \(response.headers[.contentType] ?? "none")")
            let value = try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
            return APICall.Answer(
                status: response.status, json: value as? [String: Any] ?? [:], list: [], text: String(decoding: response.body.readableBytesView, as: UTF8.self),
                headers: response.headers)
        }
    }

    /// A ServiceRequest for 2GO that meets its rules, for `client`.
    static func serviceRequest(client: String, programme: String, identifier: String? = nil, municipality: String = "Den Haag") -> [String: Any] {
        var resource: [String: Any] = [
            "resourceType": "ServiceRequest", "status": "active", "intent": "order", "priority": "urgent",
            "subject": ["reference": "Patient/\(client)"], "performer": [["reference": "HealthcareService/\(programme)"]],
            "category": [["coding": [["system": "https://koppel.nl/fhir/CodeSystem/target-group", "code": "human_trafficking"]]]],
            "extension": [["url": "https://koppel.nl/fhir/StructureDefinition/age-band", "valueCode": "26-35"]],
            "locationCode": [["coding": [["system": "https://koppel.nl/fhir/CodeSystem/municipality", "code": municipality]]]],
            "reasonCode": [["coding": [["system": "https://koppel.nl/fhir/CodeSystem/need", "code": "social_contact"]]]],
        ]
        if let identifier { resource["identifier"] = [["system": "https://partner.example/referrals", "value": identifier]] }
        return resource
    }

    static func issue(_ answer: APICall.Answer) -> [String: Any] {
        (answer.json["issue"] as? [[String: Any]])?.first ?? [:]
    }
}

@Suite("FHIR R4 door")
struct FHIRTests {
    @Test("the CapabilityStatement lists the six resources with what each supports, for anyone")
    func capability() async throws {
        try await TestApp.run(.migrated) { client, _ in
            let statement = try await FHIRCall(client: client)(.get, "metadata", as: nil)
            #expect(statement.status == .ok)
            let rest = try #require((statement.json["rest"] as? [[String: Any]])?.first)
            let resources = rest["resource"] as? [[String: Any]] ?? []
            #expect(Set(resources.compactMap { $0["type"] as? String }) == ["ServiceRequest", "Task", "Consent", "Patient", "HealthcareService", "Organization"])
            let task = try #require(resources.first { $0["type"] as? String == "Task" })
            #expect((task["interaction"] as? [[String: String]])?.map { $0["code"]! } == ["read", "search-type", "update"])
        }
    }

    @Test("a partner files a ServiceRequest; a retry with the same identifier files nothing; other organisations get 404, a funder 403")
    func fileAndRetry() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let fhir = FHIRCall(client: client)
            let patient = try await APICall(client: client).consentedClient(as: cast.caseworker)
            let request = FHIRCall.serviceRequest(client: patient, programme: cast.twoGoID, identifier: "VW-2026-0042")
            let created = try await fhir(.post, "ServiceRequest", as: cast.caseworker, request)
            #expect(created.status == .created, "\(created.text)")
            let id = created.id
            #expect(created.headers?[.location]?.hasSuffix("/fhir/r4/ServiceRequest/\(id)") == true)
            #expect(created.json["status"] as? String == "active")
            #expect(created.headers?[.eTag] == "W/\"1\"")
            let again = try await fhir(
                .post, "ServiceRequest", as: cast.caseworker, request,
                headers: [HTTPField.Name("If-None-Exist")!: "identifier=https://partner.example/referrals|VW-2026-0042"])
            #expect(again.status == .ok)
            #expect(again.id == id)
            let listed = try await APICall(client: client)(.get, "/api/v1/referrals?limit=100", as: cast.caseworker)
            #expect((listed.json["items"] as? [[String: Any]])?.filter { $0["client_id"] as? String == patient }.count == 1)

            let task = try await fhir(.get, "Task/\(id)", as: cast.caseworker)
            #expect(task.json["status"] as? String == "requested")
            #expect((task.json["focus"] as? [String: Any])?["reference"] as? String == "ServiceRequest/\(id)")
            for path in ["ServiceRequest/\(id)", "Task/\(id)", "Patient/\(patient)"] {
                #expect(try await fhir(.get, path, as: cast.otherCaseworker).status == .notFound, "\(path)")
                #expect(try await fhir(.get, path, as: cast.pimenta).status == .notFound, "\(path)")
                #expect(try await fhir(.get, path, as: nil).status == .unauthorized, "\(path)")
            }
            #expect(try await fhir(.get, "ServiceRequest/\(id)", as: cast.funder).status == .forbidden)
            #expect(try await fhir(.get, "Patient/\(patient)", as: cast.twoGo).status == .ok, "the programme sees the pseudonymous client")
            let search = try await fhir(.get, "ServiceRequest?identifier=https://partner.example/referrals|VW-2026-0042", as: cast.caseworker)
            #expect((search.json["entry"] as? [[String: Any]])?.count == 1)
            let hidden = try await fhir(.get, "ServiceRequest?identifier=https://partner.example/referrals|VW-2026-0042", as: cast.otherCaseworker)
            #expect(hidden.json["entry"] == nil)
        }
    }

    @Test("the coordinator accepts by updating the Task; a stale If-Match is 412, a step the state machine forbids 422, the referrer 403")
    func taskUpdate() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let fhir = FHIRCall(client: client)
            let api = APICall(client: client)
            let id = try await api.file(cast.forTwoGo(), as: cast.caseworker)
            var task = try await fhir(.get, "Task/\(id)", as: cast.twoGo).json
            task["status"] = "completed"
            let impossible = try await fhir(.put, "Task/\(id)", as: cast.twoGo, task)
            #expect(impossible.status == .unprocessableContent)
            #expect(FHIRCall.issue(impossible)["code"] as? String == "business-rule")
            task["status"] = "accepted"
            task["businessStatus"] = nil
            #expect(try await fhir(.put, "Task/\(id)", as: cast.caseworker, task).status == .forbidden)
            let stale = try await fhir(.put, "Task/\(id)", as: cast.twoGo, task, headers: [.ifMatch: "W/\"7\""])
            #expect(stale.status == .preconditionFailed)
            let accepted = try await fhir(.put, "Task/\(id)", as: cast.twoGo, task, headers: [.ifMatch: "W/\"1\""])
            #expect(accepted.status == .ok, "\(accepted.text)")
            #expect(accepted.json["status"] as? String == "accepted")
            #expect(accepted.headers?[.eTag] == "W/\"2\"")
            #expect(try await api(.get, "/api/v1/referrals/\(id)", as: cast.caseworker).state == "accepted")
            #expect(try await fhir(.get, "Task/\(id)", as: cast.caseworker).json["status"] as? String == "accepted")
            task["status"] = "rejected"
            task["statusReason"] = ["coding": [["system": "https://koppel.nl/fhir/CodeSystem/referral-reason", "code": "not_eligible"]]]
            let late = try await fhir(.put, "Task/\(id)", as: cast.twoGo, task)
            #expect(late.status == .unprocessableContent, "accepted cannot be declined")
        }
    }

    @Test("a resource Koppel cannot read is refused with the element at fault, and nothing is stored")
    func invalidResources() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let fhir = FHIRCall(client: client)
            let patient = try await APICall(client: client).consentedClient(as: cast.caseworker)
            var noSubject = FHIRCall.serviceRequest(client: patient, programme: cast.twoGoID)
            noSubject["subject"] = nil
            let missing = try await fhir(.post, "ServiceRequest", as: cast.caseworker, noSubject)
            #expect(missing.status == .unprocessableContent)
            #expect(FHIRCall.issue(missing)["expression"] as? [String] == ["ServiceRequest.subject"])
            var unknownCode = FHIRCall.serviceRequest(client: patient, programme: cast.twoGoID)
            unknownCode["category"] = [["coding": [["system": "https://koppel.nl/fhir/CodeSystem/target-group", "code": "pirates"]]]]
            #expect(try await fhir(.post, "ServiceRequest", as: cast.caseworker, unknownCode).status == .unprocessableContent)
            var wrongType = FHIRCall.serviceRequest(client: patient, programme: cast.twoGoID)
            wrongType["resourceType"] = "Task"
            #expect(try await fhir(.post, "ServiceRequest", as: cast.caseworker, wrongType).status == .badRequest)
            let notJSON = try await client.execute(
                uri: "/fhir/r4/ServiceRequest", method: .post, headers: [.authorization: "Bearer \(cast.caseworker)"],
                body: ByteBuffer(string: "{nope")) { $0.status }
            #expect(notJSON == .badRequest)
            var wrongReference = FHIRCall.serviceRequest(client: patient, programme: cast.twoGoID)
            wrongReference["performer"] = [["reference": "Practitioner/\(cast.twoGoID)"]]
            let reference = try await fhir(.post, "ServiceRequest", as: cast.caseworker, wrongReference)
            #expect(reference.status == .unprocessableContent)
            #expect(FHIRCall.issue(reference)["expression"] as? [String] == ["ServiceRequest.performer[0].reference"])
            let listed = try await APICall(client: client)(.get, "/api/v1/referrals?limit=100", as: cast.caseworker)
            #expect((listed.json["items"] as? [[String: Any]])?.contains { $0["client_id"] as? String == patient } == false)
            #expect(try await fhir(.get, "ServiceRequest?colour=red", as: cast.caseworker).status == .badRequest)
            #expect(try await fhir(.get, "ServiceRequest?_count=1000", as: cast.caseworker).status == .badRequest)
        }
    }

    @Test("eligibility applies as in the API: refused in Dutch by default, in English on request, with the failure's code")
    func eligibility() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let fhir = FHIRCall(client: client)
            let patient = try await APICall(client: client).consentedClient(as: cast.caseworker)
            let outside = FHIRCall.serviceRequest(client: patient, programme: cast.twoGoID, municipality: "Utrecht")
            let dutch = try await fhir(.post, "ServiceRequest", as: cast.caseworker, outside)
            #expect(dutch.status == .unprocessableContent)
            let details = FHIRCall.issue(dutch)["details"] as? [String: Any] ?? [:]
            #expect((details["coding"] as? [[String: String]])?.first?["code"] == "referral.ineligible")
            let english = try await fhir(.post, "ServiceRequest", as: cast.caseworker, outside, headers: [.acceptLanguage: "en"])
            let englishText = (FHIRCall.issue(english)["details"] as? [String: Any])?["text"] as? String ?? ""
            #expect(englishText.contains("does not meet"), "\(englishText)")
            #expect(details["text"] as? String != englishText)
        }
    }

    @Test("a partner's consent is kept when it maps to Koppel's provisions and refused when it cannot; Patient shows no identity")
    func consentAndPatient() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let fhir = FHIRCall(client: client)
            let api = APICall(client: client)
            let patient = try await api.consentedClient(as: cast.caseworker, identity: ["name": Canaries["name"], "birth_date": Canaries["birth_date"]])
            let consent: [String: Any] = [
                "resourceType": "Consent", "status": "active", "patient": ["reference": "Patient/\(patient)"], "dateTime": "2026-11-30",
                "scope": ["coding": [["system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"]]],
                "category": [["coding": [["system": "http://loinc.org", "code": "59284-0"]]]],
                "policyRule": ["coding": [["system": "https://koppel.nl/fhir/CodeSystem/legal-basis", "code": "explicit_consent"]]],
                "provision": [
                    "type": "deny", "period": ["start": "2026-11-30", "end": "2027-11-30"],
                    "provision": [[
                        "type": "permit", "actor": [["reference": ["reference": "HealthcareService/\(cast.tandemID)"]]],
                        "purpose": [["system": "https://koppel.nl/fhir/CodeSystem/consent-purpose", "code": "referral"]],
                        "class": [["system": "https://koppel.nl/fhir/CodeSystem/data-class", "code": "identity"]],
                    ]],
                ] as [String: Any],
            ]
            let created = try await fhir(.post, "Consent", as: cast.caseworker, consent)
            #expect(created.status == .created, "\(created.text)")
            let read = try await fhir(.get, "Consent/\(created.id)", as: cast.caseworker)
            #expect(read.json["status"] as? String == "active")
            let found = try await fhir(.get, "Consent?patient=Patient/\(patient)", as: cast.caseworker)
            #expect((found.json["entry"] as? [[String: Any]])?.count == 2, "the test's own consent and this one")
            #expect(try await fhir(.get, "Consent/\(created.id)", as: cast.otherCaseworker).status == .notFound)

            var nested = consent
            var base = consent["provision"] as! [String: Any]
            var rules = base["provision"] as! [[String: Any]]
            rules[0]["provision"] = [["type": "deny"]]
            base["provision"] = rules
            nested["provision"] = base
            let refused = try await fhir(.post, "Consent", as: cast.caseworker, nested)
            #expect(refused.status == .unprocessableContent)
            #expect(FHIRCall.issue(refused)["expression"] as? [String] == ["Consent.provision.provision[0].provision"])
            var foreign = consent
            rules = (consent["provision"] as! [String: Any])["provision"] as! [[String: Any]]
            rules[0]["purpose"] = [["system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"]]
            base = consent["provision"] as! [String: Any]
            base["provision"] = rules
            foreign["provision"] = base
            #expect(try await fhir(.post, "Consent", as: cast.caseworker, foreign).status == .unprocessableContent)

            let shown = try await fhir(.get, "Patient/\(patient)", as: cast.caseworker)
            #expect(shown.status == .ok)
            #expect(Set(shown.json.keys) == ["resourceType", "id", "meta", "identifier"])
            #expect(!shown.text.contains(Canaries["name"]) && !shown.text.contains(Canaries["birth_date"]))
        }
    }

    @Test("searches page through a searchset Bundle with next links, and filter by status and subject")
    func searchPaging() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let fhir = FHIRCall(client: client)
            let api = APICall(client: client)
            let patient = try await api.consentedClient(as: cast.caseworker)
            for _ in 0..<3 { _ = try await api.file(cast.forTwoGo(["client_id": patient]), as: cast.caseworker) }
            var seen: Set<String> = []
            var next: String? = "ServiceRequest?subject=Patient/\(patient)&status=active&_count=2"
            while let path = next {
                let page = try await fhir(.get, path, as: cast.caseworker)
                #expect(page.json["type"] as? String == "searchset")
                for entry in page.json["entry"] as? [[String: Any]] ?? [] { seen.insert((entry["resource"] as? [String: Any])?["id"] as? String ?? "") }
                let link = (page.json["link"] as? [[String: Any]])?.first { $0["relation"] as? String == "next" }?["url"] as? String
                next = link.flatMap { url in url.range(of: "/fhir/r4/").map { String(url[$0.upperBound...]) } }
            }
            #expect(seen.count == 3)
            let revoked = try await fhir(.get, "ServiceRequest?subject=\(patient)&status=revoked", as: cast.caseworker)
            #expect(revoked.json["entry"] == nil, "an empty searchset has no entry element")
        }
    }

    @Test("a coordinator forwards by cancelling the Task as forwarded: the new referral's Task is part of the first; a draft is sent by requesting it")
    func forwardAndSubmit() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let fhir = FHIRCall(client: client)
            let patient = try await APICall(client: client).consentedClient(as: cast.caseworker)
            var draft = FHIRCall.serviceRequest(client: patient, programme: cast.twoGoID)
            draft["status"] = "draft"
            let drafted = try await fhir(.post, "ServiceRequest", as: cast.caseworker, draft)
            #expect(drafted.json["status"] as? String == "draft")
            #expect(try await fhir(.get, "Task/\(drafted.id)", as: cast.twoGo).status == .notFound, "a draft stays with the referrer")
            var task = try await fhir(.get, "Task/\(drafted.id)", as: cast.caseworker).json
            task["status"] = "requested"
            let sent = try await fhir(.put, "Task/\(drafted.id)", as: cast.caseworker, task)
            #expect(sent.json["status"] as? String == "requested", "\(sent.text)")

            task = try await fhir(.get, "Task/\(drafted.id)", as: cast.twoGo).json
            task["status"] = "cancelled"
            task["businessStatus"] = ["coding": [["system": "https://koppel.nl/fhir/CodeSystem/referral-state", "code": "forwarded"]]]
            task["extension"] = [[
                "url": "https://koppel.nl/fhir/StructureDefinition/forward-to", "valueReference": ["reference": "HealthcareService/\(cast.tandemID)"],
            ]]
            let ineligible = try await fhir(.put, "Task/\(drafted.id)", as: cast.twoGo, task)
            #expect(ineligible.status == .unprocessableContent, "Tandem does not take this target group")
            #expect(FHIRCall.issue(ineligible)["expression"] as? [String] == ["Task.extension"])
            task["extension"] = (task["extension"] as! [[String: Any]]) + [
                ["url": "https://koppel.nl/fhir/StructureDefinition/eligibility-override-reason", "valueCode": "agreed_with_programme"]
            ]
            let forwarded = try await fhir(.put, "Task/\(drafted.id)", as: cast.twoGo, task)
            #expect(forwarded.status == .ok, "\(forwarded.text)")
            #expect((forwarded.json["businessStatus"] as? [String: Any]).flatMap { ($0["coding"] as? [[String: Any]])?.first?["code"] as? String } == "forwarded")
            let tasks = try await fhir(.get, "Task?owner=Organization/\(try await Self.organisation(of: cast.tandem, client))", as: cast.tandem)
            let next = (tasks.json["entry"] as? [[String: Any]] ?? []).compactMap { $0["resource"] as? [String: Any] }
                .first { (($0["partOf"] as? [[String: Any]])?.first?["reference"] as? String) == "Task/\(drafted.id)" }
            #expect(next != nil, "the Tandem coordinator sees the forwarded referral's Task, part of the first")
        }
    }

    static func organisation(of token: String, _ client: any TestClientProtocol) async throws -> String {
        let me = try await APICall(client: client)(.get, "/api/v1/me", as: token).json
        return (me["organization"] as? [String: Any])?["id"] as? String ?? ""
    }

    @Test("directory searches keep to _count with next links; a consent search for someone else's client is empty; a consent refused names its element")
    func directoryPagingAndConsentEdges() async throws {
        try await TestApp.run { client, database in
            let cast = try await ReferralCast.make(client, database)
            let fhir = FHIRCall(client: client)
            var ids: Set<String> = []
            var next: String? = "Organization?_count=4"
            while let path = next {
                let page = try await fhir(.get, path, as: cast.caseworker)
                let entries = page.json["entry"] as? [[String: Any]] ?? []
                #expect(entries.count <= 4)
                ids.formUnion(entries.compactMap { ($0["resource"] as? [String: Any])?["id"] as? String })
                let link = (page.json["link"] as? [[String: Any]])?.first { $0["relation"] as? String == "next" }?["url"] as? String
                next = link.flatMap { url in url.range(of: "/fhir/r4/").map { String(url[$0.upperBound...]) } }
            }
            #expect(ids.count > 4, "every organisation, four at a time")
            #expect((try await fhir(.get, "HealthcareService?_count=1", as: cast.caseworker).json["entry"] as? [[String: Any]])?.count == 1)

            let theirs = try await APICall(client: client).consentedClient(as: cast.otherCaseworker)
            let empty = try await fhir(.get, "Consent?patient=Patient/\(theirs)", as: cast.caseworker)
            #expect(empty.status == .ok && empty.json["entry"] == nil)

            let ours = try await APICall(client: client).consentedClient(as: cast.caseworker)
            func consent(period: [String: String], actor: String) -> [String: Any] {
                [
                    "resourceType": "Consent", "status": "active", "patient": ["reference": "Patient/\(ours)"], "dateTime": "2026-11-30",
                    "policyRule": ["coding": [["system": "https://koppel.nl/fhir/CodeSystem/legal-basis", "code": "explicit_consent"]]],
                    "provision": [
                        "type": "deny", "period": period,
                        "provision": [[
                            "type": "permit", "actor": [["reference": ["reference": actor]]],
                            "purpose": [["system": "https://koppel.nl/fhir/CodeSystem/consent-purpose", "code": "referral"]],
                            "class": [["system": "https://koppel.nl/fhir/CodeSystem/data-class", "code": "identity"]],
                        ]],
                    ] as [String: Any],
                ]
            }
            let backwards = try await fhir(
                .post, "Consent", as: cast.caseworker, consent(period: ["start": "2026-12-01", "end": "2026-01-01"], actor: "HealthcareService/\(cast.tandemID)"))
            #expect(backwards.status == .unprocessableContent)
            #expect(FHIRCall.issue(backwards)["expression"] as? [String] == ["Consent.provision.period.end"])
            let nobody = try await fhir(.post, "Consent", as: cast.caseworker, consent(period: ["start": "2026-11-30"], actor: "HealthcareService/\(UUID())"))
            #expect(nobody.status == .unprocessableContent, "a provision about a programme Koppel does not have permits nothing")
            #expect(FHIRCall.issue(nobody)["expression"] as? [String] == ["Consent.provision.provision"])
        }
    }
}
