import KoppelCore
import Testing

@Suite("Choosing the UI language")
struct UILanguageTests {
    @Test("a parameter wins over the cookie, the cookie over the header; nothing known means Dutch")
    func precedence() {
        #expect(UILanguage.negotiate(parameter: "en", cookie: "nl", acceptLanguage: "nl") == .english)
        #expect(UILanguage.negotiate(parameter: nil, cookie: "en", acceptLanguage: "nl") == .english)
        #expect(UILanguage.negotiate(parameter: "xx", cookie: nil, acceptLanguage: "en") == .english)
        #expect(UILanguage.negotiate(parameter: nil, cookie: nil, acceptLanguage: nil) == .dutch)
        #expect(UILanguage.negotiate(parameter: "de", cookie: "fr", acceptLanguage: "de-DE") == .dutch)
    }

    @Test("Accept-Language is read with its q-values and regional tags", arguments: [
        ("en-GB,en;q=0.9", UILanguage.english),
        ("de,nl;q=0.8,en;q=0.5", .dutch),
        ("nl;q=0.2, en;q=0.7", .english),
        ("en;q=0, nl", .dutch),
        ("NL-be", .dutch),
        ("fr, de", .dutch),
    ])
    func acceptLanguage(header: String, expected: UILanguage) {
        #expect(UILanguage.negotiate(parameter: nil, cookie: nil, acceptLanguage: header) == expected)
    }

    @Test("text falls back to Dutch where there is no English")
    func localizedTextFallback() {
        #expect(LocalizedText(dutch: "hallo", english: "hello").text(in: .english) == "hello")
        #expect(LocalizedText(dutch: "hallo").text(in: .english) == "hallo")
        #expect(LocalizedText(dutch: "hallo", english: "hello").text(in: .dutch) == "hallo")
    }

    @Test("programme statuses map onto HSDS service statuses")
    func hsdsStatus() {
        #expect(ProgrammeStatus.allCases.map(\.hsdsStatus) == ["active", "temporarily closed", "inactive"])
    }
}
