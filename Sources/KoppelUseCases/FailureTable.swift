import KoppelCore
import KoppelStore

// The one table of domain failures: for each, its kind, its message for people and its message for developers.

extension DenialReason {
    public var failure: Failure {
        switch self {
        case .notSignedIn:
            Failure(.notSignedIn, code: "access.not_signed_in", messageKey: "error.not_signed_in.message",
                    detail: "Sign in first, or send an API token as 'Authorization: Bearer …'.")
        default:
            Failure(.forbidden, code: "access.denied", messageKey: "error.forbidden.message", detail: "Not allowed: \(self).")
        }
    }
}

extension ReferralError {
    public var failure: Failure {
        switch self {
        case .notFound:
            Failure(.notFound, code: "referral.not_found", messageKey: "referral.error.not_found", detail: "There is no referral with that id that you may see.")
        case .programmeNotFound:
            Failure(.invalid, code: "referral.programme_not_found", messageKey: "referral.error.programme",
                    detail: "No open programme in the directory has that id; see /api/v1/programmes.", field: "programme_id")
        case .unknownMunicipality(let name, let suggestions) where !suggestions.isEmpty:
            Failure(.invalid, code: "referral.unknown_municipality", messageKey: "referral.error.municipality_suggestions",
                    arguments: ["suggestions": [.text(suggestions.joined(separator: ", "))]],
                    detail: "No municipality is called '\(name)'. Closest: \(suggestions.joined(separator: ", ")). "
                        + "Give a municipality's name or its code (CBS GM0153, NIS 21004).", field: "municipality")
        case .unknownMunicipality(let name, _):
            Failure(.invalid, code: "referral.unknown_municipality", messageKey: "referral.error.municipality",
                    detail: "No municipality is called '\(name)'. Give a Dutch or Belgian municipality's name or its code (CBS GM0153, NIS 21004).",
                    field: "municipality")
        case .ambiguousMunicipality(let name, let candidates):
            Failure(.invalid, code: "referral.ambiguous_municipality", messageKey: "referral.error.municipality_ambiguous",
                    arguments: ["candidates": [.text(candidates.joined(separator: ", "))]],
                    detail: "Several municipalities are called '\(name)': \(candidates.joined(separator: ", ")). Give the code of the one you mean.",
                    field: "municipality")
        case .endedMunicipality(let name, let endedOn, let successor):
            Failure(.invalid, code: "referral.ended_municipality", messageKey: "referral.error.municipality_ended",
                    arguments: ["name": [.text(name)], "ended": [.text(endedOn)], "successor": [.text(successor ?? "—")]],
                    detail: "The municipality \(name) no longer exists since \(endedOn)"
                        + (successor.map { "; it merged into \($0), name that one instead." } ?? "."), field: "municipality")
        case .denied(let reason):
            reason.failure
        case .impossibleStep(let error):
            Self.failure(error)
        case .ineligible(let rules):
            Failure(.invalid, code: "referral.ineligible", messageKey: "referral.error.ineligible",
                    arguments: ["rules": rules.map { .key($0.catalogueKey) }],
                    detail: "The referral does not meet the programme's rules: \(rules.map(\.rawValue).joined(separator: ", ")). "
                        + "If it should go ahead anyway, give an override_reason; the coordinator will see it.", field: "override_reason")
        case .noPlaceFree(let total):
            Failure(.conflict, code: "referral.no_place_free", messageKey: "referral.error.full", arguments: ["total": [.text("\(total)")]],
                    detail: "All \(total) places of the programme are taken; waitlist the referral instead.")
        case .forwardTargetMissing:
            Failure(.invalid, code: "referral.forward_target_missing", messageKey: "referral.error.forward",
                    detail: "forward needs target_programme_id: the programme to send the referral on to.", field: "target_programme_id")
        case .forwardToSameProgramme:
            Failure(.invalid, code: "referral.forward_to_same_programme", messageKey: "referral.error.forward",
                    detail: "A referral cannot be forwarded to the programme it is already for.", field: "target_programme_id")
        case .unknownClient:
            Failure(.invalid, code: "referral.unknown_client", messageKey: "referral.error.client_unknown",
                    detail: "client_id is not a client your organisation registered; register the client first (POST /api/v1/clients).",
                    field: "client_id")
        case .clientErased:
            Failure(.invalid, code: "referral.client_erased", messageKey: "referral.error.client_erased",
                    detail: "This client's data was erased; no new referral can be filed for them.", field: "client_id")
        case .noConsent(let programme):
            Failure(.invalid, code: "referral.no_consent", messageKey: "referral.error.no_consent", arguments: ["programme": [.text(programme)]],
                    detail: "No consent in force covers \(programme) for processing the referral. Record the client's consent first "
                        + "(POST /api/v1/clients/{id}/consents); only an org-admin who is also a caseworker may submit without one, giving consent_override_reason.")
        case .idempotencyKeyReused:
            Failure(.invalid, code: "request.idempotency_key_reused", messageKey: "referral.error.key_reused",
                    detail: "This Idempotency-Key was used with a different request; use a new key for a new request.")
        case .versionMismatch(let current):
            Failure(.versionMismatch, code: "referral.version_mismatch", messageKey: "referral.error.version",
                    detail: "The referral changed since you read it (it is now at version \(current)); read it again and decide on what it is now.")
        }
    }

    private static func failure(_ error: ReferralStepError) -> Failure {
        switch error {
        case .impossible(_, let state, let allowed):
            Failure(.conflict, code: "referral.step_impossible", messageKey: "referral.error.impossible",
                    arguments: ["state": [.key(state.catalogueKey)], "steps": allowed.map { .key($0.catalogueKey) }], detail: error.description)
        case .reasonRequired, .wrongReason:
            Failure(.invalid, code: "referral.step_reason", messageKey: "referral.error.reason", detail: error.description, field: "reason")
        }
    }
}

extension PrivacyError {
    public var failure: Failure {
        switch self {
        case .notFound:
            Failure(.notFound, code: "client.not_found", messageKey: "privacy.error.not_found", detail: "There is no client with that id that you may act on.")
        case .referralNotFound:
            Failure(.invalid, code: "client.referral_not_found", messageKey: "privacy.error.referral_not_found",
                    detail: "referral_id names no referral of this client that you may act on.", field: "referral_id")
        case .consentNotFound:
            Failure(.notFound, code: "consent.not_found", messageKey: "privacy.error.consent_not_found",
                    detail: "The client has no consent with that id that your organisation recorded.")
        case .consentNotActive(let status):
            Failure(.conflict, code: "consent.not_active", messageKey: "privacy.error.consent_not_active",
                    arguments: ["status": [.key("privacy.consent.statuses.\(status.rawValue)")]],
                    detail: "The consent is already \(status.rawValue); only an active consent can be withdrawn.")
        case .erased:
            Failure(.gone, code: "client.erased", messageKey: "privacy.error.erased",
                    detail: "This client's identifying data was erased; nothing of it can be shown or changed.")
        case .denied(let reason), .disclosure(.policy(let reason)):
            reason.failure
        case .disclosure(let denial):
            Failure(.forbidden, code: "client.not_disclosed", messageKey: "privacy.error.denied",
                    arguments: ["reason": [denial.message]], detail: "Not shown: \(denial.description).")
        case .invalid(let problems):
            Failure(.invalid, code: "client.invalid", messageKey: "privacy.error.invalid", arguments: ["problems": problems.map(MessagePart.text)],
                    detail: problems.joined(separator: " "), field: problems.first.flatMap(Self.field))
        case .tooManyLookups(let seconds):
            Failure(.tooManyRequests, code: "client.too_many_lookups", messageKey: "privacy.error.too_many_lookups",
                    detail: "Too many duplicate checks in an hour; each is recorded. Try again later.", retryAfterSeconds: seconds)
        }
    }
}

extension PrivacyError {
    /// The field a problem is about: the domain's problem messages start with it (`valid_until must…`, `provisions[2] names…`).
    static func field(of problem: String) -> String? {
        let word = problem.prefix { $0 != " " && $0 != "[" }
        return !word.isEmpty && word.allSatisfy { $0.isLowercase || $0 == "_" } ? String(word) : nil
    }
}

extension DisclosureDenial {
    /// Why something is not shown, for people.
    public var message: MessagePart {
        switch self {
        case .policy: .key("error.forbidden.message")
        case .referralClosed(let state): .key("privacy.denial.referral_closed", ["state": [.key(state.catalogueKey)]])
        case .noConsent(let purpose): .key("privacy.denial.no_consent", ["purpose": [.key("privacy.reveal.purposes.\(purpose.rawValue)")]])
        case .notARevealPurpose: .key("privacy.denial.not_a_reveal_purpose")
        }
    }
}

extension IdentityError {
    public var failure: Failure {
        let field: String? = switch self {
        case .emailTaken, .invalidEmail: "email"
        case .invalidName: "display_name"
        case .programmeNotOperated: "coordinated_programme_ids"
        }
        return Failure(
            self == .emailTaken ? .conflict : .invalid, code: "user.\(code)", messageKey: "admin.users.error.\(code)",
            detail: "The user was not created: \(self).", field: field)
    }
}

extension Failure {
    /// The failure a door reports for an error a use case let through: a domain error by its table, anything else as it is.
    public static func from(_ error: any Error) -> (any Error) {
        switch error {
        case let error as ReferralError: error.failure
        case let error as PrivacyError: error.failure
        case let error as IdentityError: error.failure
        case let error as FundingError: error.failure
        default: error
        }
    }
}
