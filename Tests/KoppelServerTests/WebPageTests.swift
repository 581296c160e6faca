import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelStore
import KoppelTestSupport
import Logging
import PostgresNIO
import Testing
@Suite("The public web pages")
struct WebPageTests {
    @Test("the directory is in Dutch by default, even for a browser that prefers English")
    func dutchByDefault() async throws {
        try await TestApp.run { client, _ in
            try await client.execute(uri: "/", method: .get, headers: [.acceptLanguage: "en-US,en;q=0.9"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = response.text
                #expect(html.contains("<html lang=\"nl\">"))
                #expect(html.contains("<h1>Programma&#39;s</h1>"))
                for name in ["2GO maatjesprojecten", "Humanitas Tandem", "Aan de Slag", "Perspectief+", "PIMENTA"] {
                    #expect(html.contains(name), "\(name) is missing")
                }
                #expect(html.contains("href=\"/?lang=en\""))
            }
        }
    }

    @Test("?lang=en switches to English and sets a cookie that keeps the choice")
    func switchToEnglish() async throws {
        try await TestApp.run { client, _ in
            let cookie = try await client.execute(uri: "/?lang=en", method: .get) { response in
                #expect(response.text.contains("<html lang=\"en\">"))
                #expect(response.text.contains("<h1>Programmes</h1>"))
                let setCookie = try #require(response.headers[.setCookie])
                #expect(setCookie.contains("koppel_lang=en"))
                #expect(setCookie.contains("HttpOnly"))
                #expect(setCookie.contains("SameSite=Lax"))
                return "koppel_lang=en"
            }
            try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.text.contains("<html lang=\"en\">"))
                #expect(response.text.contains("href=\"/?lang=nl\""))
            }
        }
    }

    @Test("a programme page shows its facts; an unknown or malformed one is a 404 page in the visitor's language")
    func programmePage() async throws {
        try await TestApp.run { client, _ in
            let id = try await TestApp.programmeID(named: "PIMENTA", client)
            try await client.execute(uri: "/programmes/\(id)", method: .get) { response in
                #expect(response.status == .ok)
                let html = response.text
                #expect(html.contains("<h1 id=\"programme-name\">PIMENTA</h1>"))
                #expect(html.contains("16 tot en met 25 jaar"))
                #expect(html.contains("De Aanzet"))
                #expect(html.contains("Mechelen"))
                #expect(!html.contains("Gebruikelijke duur"), "PIMENTA has no known duration; the label must not stand empty")
            }
            for path in ["/programmes/\(UUID().uuidString)", "/programmes/not-an-id"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(response.text.contains("Pagina niet gevonden"))
                }
            }
            try await client.execute(uri: "/no/such/page?lang=en", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.text.contains("Page not found"))
            }
        }
    }

    @Test("text from the database is escaped, never run as markup")
    func escaping() async throws {
        try await TestApp.run { client, database in
            try await PostgresClient.withRunningClient(database.ownerURL, logger: quietLogger) { db in
                try await db.query("UPDATE programmes SET name = '<script>alert(1)</script>' WHERE slug = 'pimenta'", logger: quietLogger)
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(!response.text.contains("<script>alert(1)</script>"))
                #expect(response.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            }
        }
    }

    @Test("pages are accessible without JavaScript: no script, a language, a title, a skip link, one main, labelled navigation")
    func accessibleShell() async throws {
        try await TestApp.run { client, _ in
            for uri in ["/", "/?lang=en", "/missing"] {
                try await client.execute(uri: uri, method: .get) { response in
                    let html = response.text
                    #expect(!html.lowercased().contains("<script"), "\(uri)")
                    #expect(html.contains("<html lang="), "\(uri)")
                    #expect(html.contains("<title>") && html.contains(" · Koppel</title>"), "\(uri)")
                    #expect(html.contains("class=\"skip-link\" href=\"#main\""), "\(uri)")
                    #expect(html.components(separatedBy: "<main").count == 2, "\(uri)")
                    #expect(html.contains("<nav class=\"language\" aria-label="), "\(uri)")
                    #expect(!html.contains("{{"), "\(uri): an unrendered template tag")
                }
            }
        }
    }
}
