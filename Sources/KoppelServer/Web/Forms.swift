import Foundation
import HTTPTypes
import Hummingbird
import KoppelStore

/// Reading HTML forms: a size limit on every body, and a check that the form came from Koppel's own page.
enum Forms {
    /// No form of Koppel's is larger; anything bigger is refused before it is read.
    static let maximumBytes = 16 * 1024
    /// The anti-forgery cookie of forms shown before there is a session (the sign-in form).
    static let formCookie = "__Host-koppel_form"

    static func decode<Form: Decodable>(_ type: Form.Type, from request: Request) async throws -> Form {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            throw Problem(status: .unsupportedMediaType, detail: "Forms are sent as application/x-www-form-urlencoded. Reload the page and try again.")
        }
        var request = request
        let body = try await request.collectBody(upTo: maximumBytes)
        // A form without its anti-forgery token is refused as a forgery, not as a malformed form.
        guard String(buffer: body).contains("csrf_token=") else {
            throw Problem(status: .forbidden, detail: "This form has expired or did not come from Koppel. Reload the page and try again.")
        }
        do {
            return try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
        } catch {
            throw Problem(status: .badRequest, detail: "The form was incomplete. Reload the page and try again.")
        }
    }

    /// Reads a form and checks that it came from Koppel's own page: every POST handler of a page starts here.
    static func submitted<Form: AntiForgeryForm>(_ type: Form.Type, from request: Request, session: SessionCookie?) async throws -> Form {
        let form = try await decode(type, from: request)
        try checkForgery(form.csrf_token, request: request, session: session)
        return form
    }

    /// The form's `csrf_token` must equal the session's (or, before sign-in, the form cookie's).
    static func checkForgery(_ submitted: String, request: Request, session: SessionCookie?) throws {
        let expected = session?.record.csrfToken ?? request.cookies[formCookie]?.value ?? ""
        guard !expected.isEmpty, constantTimeEqual(submitted, expected) else {
            throw Problem(status: .forbidden, detail: "This form has expired or did not come from Koppel. Reload the page and try again.")
        }
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The cookies Koppel sets for sign-in: `__Host-`, Secure, HttpOnly, SameSite=Strict, whole site.
    /// (Browsers accept Secure cookies from http://127.0.0.1 and localhost, so development works without TLS.)
    static func strictCookie(name: String, value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: true, httpOnly: true, sameSite: .strict)
    }
}

/// A form posted from one of Koppel's pages, carrying the anti-forgery token it was rendered with.
protocol AntiForgeryForm: Decodable {
    var csrf_token: String { get }
}
