import Foundation
import Hummingbird
import KoppelCore
import KoppelStore

/// The button on a programme's edit page with which its coordinators confirm the directory entry is current.
struct DirectoryConfirmationForm {
    let confirmations: DirectoryConfirmations

    func register(on routes: RouteRegistrar) {
        routes.post("/programmes/{id}/confirm") { request, context in try await confirm(request, context) }
    }

    private struct ConfirmForm: AntiForgeryForm {
        let csrf_token: String
    }

    private func confirm(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        _ = try await Forms.submitted(ConfirmForm.self, from: request, session: context.identity.session)
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw Problem(status: .notFound, detail: "No such programme.") }
        guard let (actor, _) = try context.pageAccess({ _ in .confirmDirectoryEntry(programme: id) }) else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        guard try await confirmations.confirm(programme: id, by: actor) != nil else { throw Problem(status: .notFound, detail: "No such programme.") }
        return .redirect(to: "/programmes/\(id.uuidString.lowercased())/edit?confirmed=1", type: .normal)
    }

    /// What the edit page shows of the confirmation: when it was last made, and the button for those who may.
    func values(_ programme: UUID, _ actor: Actor, _ request: Request, _ catalogue: Catalogue) async throws -> [String: Any] {
        let confirmedText = try await confirmations.lastConfirmed(programme: programme)
            .flatMap { Day(DirectoryTime.day($0)) }
            .map { catalogue.text("programme.confirm.last", ["date": catalogue.longDate($0)]) } ?? catalogue.text("programme.confirm.never")
        return [
            "canConfirm": AccessPolicy.decide(actor, .confirmDirectoryEntry(programme: programme)).isAllowed,
            "confirmedText": confirmedText,
            "confirmedDone": request.uri.queryParameters.get("confirmed") == "1",
        ]
    }
}
