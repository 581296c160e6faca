import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore
import Mustache

/// Renders pages: a template from `Templates/`, the layout around it, strings from the language's catalogue.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let catalogues: Catalogues
    /// The language cookie; the switch sets it so the choice holds across pages.
    static let languageCookie = "koppel_lang"

    static func load(catalogues: Catalogues) async throws -> PageRenderer {
        guard let directory = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw CatalogueError.missing("Templates")
        }
        return PageRenderer(library: try await MustacheLibrary(directory: directory.path), catalogues: catalogues)
    }

    /// The language this request asks for: `?lang=`, then the cookie, else Dutch. Pages ignore the browser's
    /// `Accept-Language`: Koppel's users work in Dutch, often in English-language browsers (decision 0003).
    static func language(of request: Request) -> UILanguage {
        UILanguage.negotiate(
            parameter: request.uri.queryParameters["lang"].map(String.init),
            cookie: request.cookies[languageCookie]?.value,
            acceptLanguage: nil)
    }

    func catalogue(for request: Request) -> Catalogue {
        catalogues[Self.language(of: request)]
    }

    /// A page whose title is a catalogue string.
    func page(
        _ template: String, titleKey: String, values: [String: Any], request: Request, identity: Identity,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        page(template, title: catalogue(for: request).text(titleKey), values: values, request: request, identity: identity, status: status)
    }

    /// A complete HTML response. `values` fill the template; `title` names the page in the browser tab.
    func page(
        _ template: String, title: String, values: [String: Any], request: Request, identity: Identity = .anonymous,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let language = Self.language(of: request)
        let catalogue = catalogues[language]
        // An absent optional leaves its key out, so `{{#key}}` sections stay closed (Mustache would print "nil").
        var context = values.filter { !Self.isAbsent($0.value) }
        context["t"] = catalogue.tree.value
        context["lang"] = language.rawValue
        context["pageTitle"] = title
        context["path"] = request.uri.path
        if let account = identity.account, let session = identity.session {
            let unread = session.record.unreadNotices
            context["user"] = [
                "name": account.displayName, "csrf": session.record.csrfToken, "signedIn": identity.actor != nil,
                "notices": unread >= NoticeStore.countLimit ? "\(NoticeStore.countLimit - 1)+" : String(unread), "unread": unread > 0,
                "noticesLabel": catalogue.text("notices.bell_unread", ["count": String(unread)]),
            ]
        }
        context["switchLanguage"] = UILanguage.allCases.filter { $0 != language }.map { other in
            ["code": other.rawValue, "label": catalogues[other].text("language_switch.label")]
        }
        let html = library.render(context, withTemplate: template) ?? ""
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .contentLanguage: language.rawValue]
        // Pages for someone signed in may show what only they may see: never kept by a browser or proxy.
        if identity.account != nil { headers[.cacheControl] = "no-store" }
        headers[.vary] = "Cookie"
        var response = Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
        if request.uri.queryParameters["lang"].flatMap({ UILanguage(code: String($0)) }) == language {
            response.setCookie(Cookie(
                name: Self.languageCookie, value: language.rawValue, maxAge: 365 * 24 * 3600, path: "/",
                secure: false, httpOnly: true, sameSite: .lax))
        }
        return response
    }
}

extension PageRenderer {
    static func isAbsent(_ value: Any) -> Bool {
        let mirror = Mirror(reflecting: value)
        return mirror.displayStyle == .optional && mirror.children.isEmpty
    }
}

extension PageRenderer: ErrorPageRendering {
    func errorPage(for problem: Problem, request: Request) -> Response {
        let catalogue = catalogues[Self.language(of: request)]
        let key =
            switch problem.status {
            case .notFound: "error.not_found"
            case .forbidden: "error.forbidden"
            case _ where problem.status.code < 500: "error.bad_request"
            default: "error.server"
            }
        return page(
            "error", title: catalogue.text("\(key).title"),
            values: ["heading": catalogue.text("\(key).title"), "message": catalogue.text("\(key).message")],
            request: request, status: problem.status)
    }
}
