import Foundation
import KoppelCore
import PostgresNIO

// The statements every referral submission or step runs, prepared once per connection (see `PreparedStatement`).

/// What a new referral is checked against, in the round trip that sets the tenant (`submission_facts_as`, schema
/// 0030): its programme if listed, whether the client is known to the referrer (null if not) and erased, the
/// municipality named by code or by any of its names (folded), the database's day, which decides whether a consent is
/// in force and whether the municipality still exists, and the client's consents. Of several municipalities by that
/// name, one that exists today comes first; `matching` and `existing` say how many there are.
struct SubmissionFactsAs: PreparedStatement {
    static let sql = "SELECT \(SubmissionFactsColumns.list) FROM submission_facts_as($1, $2, $3, $4, $5, $6, $7, $8) t"
    let tenant: TenantSettings
    let new: NewReferral

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        tenant.append(to: &binds)
        SubmissionFactsColumns.append(new, to: &binds)
        return binds
    }
}

/// The same for the holder of an API token, checked by the same statement (`submission_facts_for_token`, schema
/// 0030): no row when the token does not work. The account's columns come last, in the shape of `api_token_account`.
struct SubmissionFactsForToken: PreparedStatement {
    static let sql = """
        SELECT \(SubmissionFactsColumns.list), t.account_user_id, t.account_organisation_id, t.account_organisation_name,
               t.account_email, t.account_display_name, t.account_roles, t.account_coordinated_programmes,
               t.account_must_change_password, t.account_totp_secret, t.account_totp_confirmed, t.account_disabled
        FROM submission_facts_for_token($1, $2, $3, $4, $5, $6, $7) t
        """
    let token: TokenSettings
    let new: NewReferral

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        token.append(to: &binds)
        SubmissionFactsColumns.append(new, to: &binds)
        return binds
    }
}

/// The columns both submission statements answer with, in `SubmissionFacts.decode`'s order, and what they are asked.
enum SubmissionFactsColumns {
    /// After the programme's: the facts (client_erased … today), then a consent's (consent_id … ended_at).
    static let factColumns = 12
    static let consentColumns = 13
    static let list = """
        (t.programme).*, t.client_erased, t.code, t.name, t.region, t.country, t.names, t.places, t.ended_on, t.successor,
        t.matching, t.existing, t.today, t.consent_id, t.consent_client, t.status, t.grantor, t.recorded_by, t.organisation_id,
        t.obtained_on, t.evidence, t.legal_basis, t.valid_from, t.valid_until, t.provisions, t.ended_at
        """

    /// The client, the municipality as typed (matched against codes as it is, and against names folded), the programme.
    static func append(_ new: NewReferral, to binds: inout PostgresBindings) {
        binds.append(new.clientID)
        binds.append(PlaceName.code(new.municipality) ?? new.municipality)
        binds.append(PlaceName.folded(new.municipality))
        binds.append(new.programmeID)
    }
}

/// One referral acting for the tenant, in one statement (`referral_as`, schema 0025): outside a transaction block it
/// is the whole read; inside one it sets the tenant for the rest, and can lock the referral's row.
struct ReferralAs: PreparedStatement {
    static let sql = "SELECT * FROM referral_as($1, $2, $3, $4, $5, $6)"
    let tenant: TenantSettings
    let id: UUID
    let lock: Bool

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        tenant.append(to: &binds)
        binds.append(id)
        binds.append(lock)
        return binds
    }
}

struct ClientErased: SingleParameterStatement {
    static let sql = "SELECT erased_at IS NOT NULL FROM clients WHERE id = $1"
    let client: UUID
    var parameter: UUID { client }
}

struct ConsentsOfClient: SingleParameterStatement {
    static let sql = "SELECT \(ConsentRows.columns) FROM consents c WHERE c.client_id = $1 ORDER BY c.recorded_at, c.id"
    let client: UUID
    var parameter: UUID { client }
}

/// The day in the database's time zone, which decides whether a consent is in force.
struct DatabaseToday: PreparedStatement {
    static let sql = "SELECT koppel_today()::text"

    func makeBindings() throws -> PostgresBindings { PostgresBindings() }
}

struct ReferralByID: SingleParameterStatement {
    static let sql = "SELECT \(ReferralRow.columns) FROM referrals r \(ReferralRow.lookups) WHERE r.id = $1"
    let id: UUID
    var parameter: UUID { id }
}

/// A new referral, its first event and (once submitted) its notice in one statement (`file_referral`, schema 0031),
/// acting for the tenant the transaction has set, which answers with the referral as `ReferralRow` reads it: the event
/// and notice are those `ReferralHistory.append` and `Outbox.referralChanged` write for any later step.
struct FileReferral: PreparedStatement {
    static let sql = "SELECT * FROM file_referral($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
    /// Named, as a null in the first call would otherwise leave PostgreSQL to guess the type for good.
    static let bindingDataTypes: [PostgresDataType] = [
        .uuid, .uuid, .uuid, .uuid, .uuid, .uuid, .text, .text, .text, .textArray, .text, .text, .text, .textArray, .text, .uuid,
        .text, .bool, .uuidArray, .text, .text, .text,
    ]
    let id: UUID
    let new: NewReferral
    let actor: Actor
    let operatorID: UUID
    let municipality: String
    let state: ReferralState
    let overridden: [EligibilityRule]
    let basis: ConsentBasis
    /// Who hears of it: none for a draft.
    let notify: Set<UUID>
    /// The programme's answer is due by then: none for a draft.
    let deadline: ReferralDeadline?

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        append(to: &binds)
        return binds
    }

    /// The referral's parameters, in `file_referral`'s order.
    func append(to binds: inout PostgresBindings) {
        binds.append(id)
        binds.append(new.clientID)
        binds.append(actor.organisationID)
        binds.append(actor.userID)
        binds.append(new.programmeID)
        binds.append(operatorID)
        binds.append(new.targetGroup.rawValue)
        binds.append(new.ageBand.rawValue)
        binds.append(municipality)
        binds.append(new.needs.map(\.rawValue))
        binds.append(new.urgency.rawValue)
        binds.append(new.requestedStart)
        binds.append(state.rawValue)
        binds.append(overridden.map(\.rawValue))
        binds.append(overridden.isEmpty ? nil : new.overrideReason?.rawValue)
        binds.append(basis.consent)
        binds.append(basis.override?.rawValue)
        binds.append(new.submit)
        binds.append(Array(notify))
        binds.append(deadline?.kind.rawValue)
        binds.append(deadline?.due.description)
        binds.append(deadline?.escalation.description)
    }
}

/// The same for the holder of an API token, as a statement of its own with no transaction block around it
/// (`file_referral_for_token`, schema 0031, decision 0029): the token is checked again and must still be the filing
/// account's, then the tenant is set for this statement alone. No row, and nothing written, when it no longer works.
struct FileReferralForToken: PreparedStatement {
    static let sql = """
        SELECT * FROM file_referral_for_token($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
            $20, $21, $22, $23, $24, $25)
        """
    static let bindingDataTypes: [PostgresDataType] = [.bytea, .text, .text] + FileReferral.bindingDataTypes
    let token: TokenSettings
    let referral: FileReferral

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        token.append(to: &binds)
        referral.append(to: &binds)
        return binds
    }
}

struct AppendReferralEvent: PreparedStatement {
    static let sql = """
        INSERT INTO referral_events (referral_id, referring_organisation_id, operator_id, occurred_at, actor_user_id,
            actor_organisation_id, action, from_state, to_state, reason, related_referral_id)
        VALUES ($1, $2, $3, koppel_now(), $4, $5, $6, $7, $8, $9, $10)
        """
    static let bindingDataTypes: [PostgresDataType] = [.uuid, .uuid, .uuid, .uuid, .uuid, .text, .text, .text, .text, .uuid]
    let referral: UUID
    let referrer: UUID
    let operatorID: UUID
    let user: UUID?
    let organisation: UUID
    let action: String
    let from: ReferralState?
    let to: ReferralState
    let reason: ReferralReason?
    let related: UUID?

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(referral)
        binds.append(referrer)
        binds.append(operatorID)
        binds.append(user)
        binds.append(organisation)
        binds.append(action)
        binds.append(from?.rawValue)
        binds.append(to.rawValue)
        binds.append(reason?.rawValue)
        binds.append(related)
        return binds
    }
}

/// A referral's event for the outbox.
struct NoteReferralChanged: PreparedStatement {
    static let sql = """
        INSERT INTO outbox (topic, subject_id, recipient_organisations, event_type, data)
        VALUES ('referral.changed', $1, $2, $3, referral_event_data($1, $5::uuid, $6::text, $7::integer, $8::uuid) || $4::jsonb)
        """
    let referral: Outbox.ReferralFacts
    let recipients: [UUID]
    let event: WebhookEventType
    /// More to say than the referral's own data (the consent a withdrawal ended), as a JSON object.
    let extra: String

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(referral.id)
        binds.append(recipients)
        binds.append(event.rawValue)
        binds.append(extra)
        binds.append(referral.programme)
        binds.append(referral.state.rawValue)
        binds.append(referral.version)
        binds.append(referral.forwardedFrom)
        return binds
    }
}

/// One referral for the holder of an API token, in one statement (`referral_for_token`, schema 0027): the token is
/// checked first and the referral read acting for its account. No row when the token does not work; the referral's
/// columns are null when it is not visible. The account's columns come last, in the shape of `api_token_account`.
struct ReferralForToken: TokenAndReferralStatement {
    static let sql = """
        SELECT (t.referral).*, t.user_id, t.organisation_id, t.organisation_name, t.email, t.display_name, t.roles,
               t.coordinated_programmes, t.must_change_password, t.totp_secret, t.totp_confirmed, t.disabled
        FROM referral_for_token($1, $2, $3, $4) t
        """
    let token: TokenSettings
    let id: UUID
}

/// A page of referrals acting for a tenant, in one statement (`referral_page_as`, schema 0032): the function writes
/// only the conditions that apply, and plans the page's query for each call.
struct ReferralPageAs: PreparedStatement {
    static let sql = "SELECT * FROM referral_page_as($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    static let bindingDataTypes: [PostgresDataType] = [
        .text, .text, .text, .text, .uuid, .uuidArray, .text, .textArray, .uuid, .uuid, .uuid, .uuid, .timestamptz, .text, .text,
        .timestamptz, .uuid, .bool, .int4,
    ]
    let tenant: TenantSettings
    let visibility: ReferralVisibility
    let filter: ReferralFilter

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        tenant.append(to: &binds)
        binds.append(visibility.referringOrganisation)
        binds.append(visibility.programmes.sorted { $0.uuidString < $1.uuidString })
        binds.append(filter.state?.rawValue)
        binds.append(filter.states.map(\.rawValue).sorted())
        binds.append(filter.programmeID)
        binds.append(filter.referringOrganisationID)
        binds.append(filter.operatorID)
        binds.append(filter.clientID)
        binds.append(filter.changedSince)
        binds.append(filter.createdFrom)
        binds.append(filter.createdTo)
        binds.append(filter.after?.createdAt)
        binds.append(filter.after?.id)
        binds.append(filter.byDeadline)
        binds.append(Int32(clamping: filter.limit))
        return binds
    }
}

/// A step taken, written in one statement (`record_step`, schema 0033): the referral's new state and deadline, its
/// event and, when someone is to hear of it, its notice; then the referral as it now is.
struct RecordStep: PreparedStatement {
    static let sql = "SELECT * FROM record_step($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    static let bindingDataTypes: [PostgresDataType] = [
        .uuid, .text, .text, .text, .text, .uuid, .uuid, .uuid, .text, .text, .text, .bool, .text, .uuidArray, .text,
    ]
    let referral: UUID
    let from: ReferralState
    let to: ReferralState
    let action: String
    let reason: ReferralReason?
    let related: UUID?
    let user: UUID?
    let organisation: UUID
    let deadline: ReferralDeadline?
    let answeredInTime: Bool?
    let event: WebhookEventType?
    let notify: Set<UUID>
    /// What the notice adds to the referral's own data, as a JSON object.
    let extra: String

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(referral)
        binds.append(from.rawValue)
        binds.append(to.rawValue)
        binds.append(action)
        binds.append(reason?.rawValue)
        binds.append(related)
        binds.append(user)
        binds.append(organisation)
        binds.append(deadline?.kind.rawValue)
        binds.append(deadline?.due.description)
        binds.append(deadline?.escalation.description)
        binds.append(answeredInTime)
        binds.append(event?.rawValue)
        binds.append(notify.sorted { $0.uuidString < $1.uuidString })
        binds.append(extra)
        return binds
    }
}

/// The referral a step is taken on, locked, with its programme's terms, in the statement that sets the tenant for the
/// step's transaction (`referral_for_step_as`, schema 0033). No row when the caller's organisation cannot see it.
struct ReferralForStepAs: PreparedStatement {
    static let sql = """
        SELECT (t.referral).*, t.response_working_days, t.start_working_days, t.review_working_days, t.country
        FROM referral_for_step_as($1, $2, $3, $4, $5) t
        """
    let tenant: TenantSettings
    let id: UUID

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        tenant.append(to: &binds)
        binds.append(id)
        return binds
    }

    /// The programme's terms: the row's last four columns, or the four before its last `trailing` ones.
    static func terms(in row: PostgresRow, before trailing: Int = 0) throws -> ResponseTerms {
        let cells = PostgresRandomAccessRow(row)
        let last = cells.count - 1 - trailing
        return ResponseTerms(
            responseDays: try cells[last - 3].decode(Int.self), startDays: try cells[last - 2].decode(Int.self),
            reviewDays: try cells[last - 1].decode(Int.self), country: HolidayCountry(isoCode: try cells[last].decode(String.self)))
    }
}

/// The referral a step is taken on, for whoever holds an API token, in the statement that checks the token and sets
/// the tenant for the step's transaction (`referral_for_step_for_token`, schema 0035): no row when the token does not
/// work; the referral's columns and its programme's terms are null when the account cannot see it. The account's
/// columns come last, in the shape of `api_token_account`.
struct ReferralForStepForToken: TokenAndReferralStatement {
    static let sql = """
        SELECT (t.referral).*, t.response_working_days, t.start_working_days, t.review_working_days, t.country, t.user_id,
               t.organisation_id, t.organisation_name, t.email, t.display_name, t.roles, t.coordinated_programmes,
               t.must_change_password, t.totp_secret, t.totp_confirmed, t.disabled
        FROM referral_for_step_for_token($1, $2, $3, $4) t
        """
    let token: TokenSettings
    let id: UUID
}

/// A programme's places, counted under its lock (`places_claimed`, schema 0033).
struct PlacesClaimed: SingleParameterStatement {
    static let sql = "SELECT places_total, in_use FROM places_claimed($1)"
    let programme: UUID
    var parameter: UUID { programme }
}
