import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
@testable import KoppelServer
import KoppelStore
import KoppelTestSupport
import Logging
import Testing
@Suite("UI catalogues")
struct CatalogueTests {
    let catalogues = try! Catalogues.bundled()

    @Test("Dutch and English have exactly the same keys")
    func sameKeys() {
        let dutch = Set(catalogues[.dutch].strings.keys)
        let english = Set(catalogues[.english].strings.keys)
        #expect(dutch.subtracting(english).isEmpty, "only in nl.json: \(dutch.subtracting(english).sorted())")
        #expect(english.subtracting(dutch).isEmpty, "only in en.json: \(english.subtracting(dutch).sorted())")
    }

    @Test("every string a template uses is in the catalogues")
    func templatesUseKnownKeys() throws {
        let folder = TestEnvironment.repositoryRoot.appendingPathComponent("Sources/KoppelServer/Templates")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".mustache") }
        #expect(!names.isEmpty)
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let keys = text.matches(of: /\{\{t\.([a-z_.]+)\}\}/).map { String($0.output.1) }
            for key in keys {
                #expect(catalogues[.dutch].strings[key] != nil, "\(name) uses t.\(key), which nl.json lacks")
            }
        }
    }

    @Test("every coded value shown to people has a label in both languages")
    func codedValuesHaveLabels() throws {
        var keys = TargetGroup.allCases.map(\.catalogueKey) + ProgrammeStatus.allCases.map { "programme.status.\($0.rawValue)" }
        keys += Role.allCases.map { "role.\($0.rawValue)" }
        keys += ReferralState.allCases.map(\.catalogueKey) + ReferralAction.allCases.map(\.catalogueKey)
        keys += ReferralReason.allCases.map(\.catalogueKey) + ReferralNeed.allCases.map(\.catalogueKey)
        keys += ReferralUrgency.allCases.map(\.catalogueKey) + EligibilityOverrideReason.allCases.map(\.catalogueKey)
        keys += EligibilityRule.allCases.map(\.catalogueKey)
        keys += [PasswordRules.Problem.tooShort, .tooLong, .common].map { "password.problem.\($0.rawValue)" }
        keys += try DemoData.bundled().programmes.flatMap(\.languages).map(LanguageNames.catalogueKey(forCode:))
        for language in UILanguage.allCases {
            for key in keys {
                #expect(catalogues[language].strings[key] != nil, "\(language.rawValue).json lacks \(key)")
            }
        }
    }

    @Test("placeholders are filled in")
    func placeholders() {
        #expect(catalogues[.dutch].text("programme.age.between", ["min": "16", "max": "25"]) == "16 tot en met 25 jaar")
        #expect(catalogues[.english].text("programme.duration_months", ["months": "12"]) == "about 12 months")
    }
}
