import Foundation
import HTTPTypes
import Hummingbird
import KoppelCore
import KoppelStore
import KoppelUseCases

/// A funder's own funding agreements, read-only: what each covers (programme, the area's municipalities, months) and
/// what it pays for, with a link to the figures it covers.
struct FunderAgreementPage {
    let renderer: PageRenderer
    let useCases: UseCases

    func register(on routes: RouteRegistrar) {
        routes.get("/funding-agreements") { request, context in try await list(request, context) }
    }

    private func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        guard let (actor, _) = try context.pageAccess({ .viewFundingAgreements(funder: $0.organisationID) }) else {
            return .redirect(to: "/sign-in", type: .normal)
        }
        let catalogue = renderer.catalogue(for: request)
        var rows: [[String: Any]] = []
        for agreement in try await useCases.manageFundingAgreements.list(by: actor) {
            var row = AgreementPages.row(agreement, catalogue)
            row["municipalities"] = try await useCases.manageAreas.municipalities(of: agreement.area.id, by: actor).map(\.name).joined(separator: ", ")
            rows.append(row)
        }
        return renderer.page(
            "funding-agreements", titleKey: "funding.mine.title", values: ["agreements": rows, "empty": rows.isEmpty],
            request: request, identity: context.identity)
    }
}
