import Foundation
import HTTPTypes
import KoppelCore
import KoppelStore

/// What each referral error means to the caller: a status and words that say what to do.
enum ReferralProblems {
    static func problem(for error: ReferralError, id: UUID?) -> Problem {
        switch error {
        case .notFound:
            let which = id.map { " with id \($0.uuidString.lowercased())" } ?? ""
            return Problem(status: .notFound, detail: "There is no referral\(which) that you may see.")
        case .programmeNotFound:
            return Problem(status: .unprocessableContent, detail: "No open programme in the directory has that id; see /api/v1/programmes.")
        case .unknownMunicipality(let name):
            return Problem(status: .unprocessableContent, detail: "Koppel does not know the municipality '\(name)'; give one such as Den Haag, Utrecht or Enschede.")
        case .denied(let reason):
            return Problem.denied(reason)
        case .impossibleStep(let error):
            if case .impossible = error { return Problem(status: .conflict, detail: error.description) }
            return Problem(status: .unprocessableContent, detail: error.description)
        case .ineligible(let rules):
            return Problem(
                status: .unprocessableContent,
                detail: "The referral does not meet the programme's rules: \(rules.map(\.rawValue).joined(separator: ", ")). "
                    + "If it should go ahead anyway, give an override_reason; the coordinator will see it.")
        case .noPlaceFree(let total):
            return Problem(status: .conflict, detail: "All \(total) places of the programme are taken; waitlist the referral instead.")
        case .forwardTargetMissing:
            return Problem(status: .unprocessableContent, detail: "forward needs target_programme_id: the programme to send the referral on to.")
        case .forwardToSameProgramme:
            return Problem(status: .unprocessableContent, detail: "A referral cannot be forwarded to the programme it is already for.")
        case .unknownClient:
            return Problem(status: .unprocessableContent, detail: "client_id is not a client your organisation registered; register the client first (POST /api/v1/clients).")
        case .clientErased:
            return Problem(status: .unprocessableContent, detail: "This client's data was erased; no new referral can be filed for them.")
        case .noConsent(let programme):
            return Problem(
                status: .unprocessableContent,
                detail: "No consent in force covers \(programme) for processing the referral. Record the client's consent first "
                    + "(POST /api/v1/clients/{id}/consents); only an org-admin who is also a caseworker may submit without one, giving consent_override_reason.")
        case .idempotencyKeyReused:
            return Problem(status: .unprocessableContent, detail: "This Idempotency-Key was used with a different request; use a new key for a new request.")
        }
    }
}
