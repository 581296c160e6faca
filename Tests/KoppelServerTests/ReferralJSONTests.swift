import Foundation
import HTTPTypes
import KoppelAPI
import Testing

@_spi(Generated) import OpenAPIRuntime
@testable import KoppelServer

/// The referral answer written by hand (`ReferralJSON`) is byte for byte what the generated server would send for the
/// same value: same keys in the same order, same escapes, same times.
@Suite("Referral JSON")
struct ReferralJSONTests {
    /// What the generated server writes: its converter with Koppel's wire format.
    static func generated(_ referral: some Encodable & Sendable) async throws -> String {
        var fields = HTTPFields()
        let body = try Converter(configuration: APIWireFormat.configuration)
            .setResponseBodyAsJSON(referral, headerFields: &fields, contentType: "application/json; charset=utf-8")
        return String(decoding: try await Data(collecting: body, upTo: .max), as: UTF8.self)
    }

    static func handWritten(_ referral: Components.Schemas.Referral) -> String {
        String(decoding: ReferralJSON.bytes(referral), as: UTF8.self)
    }

    static let bare = Components.Schemas.Referral(
        id: "8a1d2c3b-4e5f-4a6b-9c7d-0e1f2a3b4c5d", clientId: "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e", state: .draft,
        fhirTaskStatus: "draft", programme: .init(id: "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", name: "2GO"),
        referringOrganisation: .init(id: "3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a", name: "VluchtelingenWerk"),
        targetGroup: .humanTrafficking, ageBand: ._2635, municipality: "Den Haag", needs: [], urgency: .soon,
        overriddenRules: [], createdAt: Date(timeIntervalSince1970: 1_765_000_000), stateChangedAt: Date(timeIntervalSince1970: 1_765_000_000),
        version: 1, allowedActions: [])

    static var full: Components.Schemas.Referral {
        var referral = bare
        referral.state = .waitlisted
        referral.fhirTaskStatus = "on-hold"
        referral.municipalityCode = "0518"
        referral.needs = [.socialContact, .housing]
        referral.requestedStart = "2027-01-04"
        referral.overriddenRules = [.region, .age]
        referral.overrideReason = .professionalJudgement
        referral.consentId = "4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b"
        referral.consentOverrideReason = .acuteDanger
        referral.forwardedFrom = "5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c"
        referral.waitlistPosition = 12
        referral.deadline = .init(kind: .start, dueOn: "2026-12-20", escalateOn: "2026-12-24", status: .dueToday)
        referral.submittedAt = Date(timeIntervalSince1970: 1_765_000_123.987)
        referral.stateChangedAt = Date(timeIntervalSince1970: 1_767_225_599.5)
        referral.version = 1_234_567
        referral.allowedActions = [.accept, .decline, .forward]
        return referral
    }

    @Test("a referral with nothing optional, and one with everything, as the generated server writes them")
    func sameAsGenerated() async throws {
        for referral in [Self.bare, Self.full] {
            #expect(Self.handWritten(referral) == (try await Self.generated(referral)))
        }
    }

    @Test("a page of referrals (the list's answer): empty, and with items and the next page's cursor, as the generated server writes it")
    func pages() async throws {
        let pages: [Components.Schemas.ReferralPage] = [
            .init(items: []), .init(items: [Self.bare]), .init(items: [Self.full, Self.bare, Self.full], nextCursor: "MjAyNi0xMi0wN1QxMjowMDowMFp8YWJj"),
        ]
        for page in pages {
            #expect(String(decoding: ReferralJSON.bytes(page), as: UTF8.self) == (try await Self.generated(page)))
        }
    }

    @Test("the full referral leaves nothing out, so a field the contract gains is compared too")
    func fullLeavesNothingOut() throws {
        func absent(_ value: Any) -> [String] {
            Mirror(reflecting: value).children.compactMap { child in
                let inner = Mirror(reflecting: child.value)
                return inner.displayStyle == .optional && inner.children.isEmpty ? child.label : nil
            }
        }
        #expect(absent(Self.full).isEmpty)
        #expect(absent(try #require(Self.full.deadline)).isEmpty)
    }

    @Test("names with quotes, backslashes, slashes, control characters and non-ASCII letters are escaped alike")
    func escapes() async throws {
        let names = [
            "Stichting \"De Haven\"", "C:\\pad\\naar", "a/b </script>", "tab\there", "line\nbreak\r", "bell\u{07}\u{08}\u{0C}\u{1F}\u{00}",
            "Zoë Ağaoğlu", "سلام", "👩🏽‍⚕️ zorg", "\u{7F}del", "",
        ]
        for name in names {
            var referral = Self.full
            referral.programme.name = name
            referral.municipality = name
            #expect(Self.handWritten(referral) == (try await Self.generated(referral)), "\(name.debugDescription)")
        }
    }

    @Test("times from 1970 to 2100, whole seconds and fractions, fall in the same second")
    func times() async throws {
        var instants: [Double] = [0, 0.999, 59.5, 86_399.999, 951_782_400, 1_709_251_199.75, 4_102_444_800]
        var seed: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<300 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            instants.append(Double(seed >> 11) / Double(1 << 53) * 4_102_444_800)
        }
        for instant in instants {
            var referral = Self.bare
            referral.createdAt = Date(timeIntervalSince1970: instant)
            #expect(Self.handWritten(referral) == (try await Self.generated(referral)), "\(instant)")
        }
    }
}
