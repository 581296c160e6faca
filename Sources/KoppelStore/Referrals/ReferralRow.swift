import Foundation
import KoppelCore
import PostgresNIO

/// Reading referrals from rows: one select list, one decoder.
enum ReferralRow {
    static let columns = """
        r.id, r.client_id, r.referring_organisation_id, ro.name, r.referring_user_id, r.programme_id, p.name, r.operator_id,
        r.target_group, r.age_band, r.municipality, m.name, m.region, m.country, m.names, m.places, r.needs, r.urgency, r.requested_start::text, r.state,
        r.overridden_rules, r.override_reason, r.forwarded_from, r.created_at, r.submitted_at, r.state_changed_at, r.version,
        CASE WHEN r.state = 'waitlisted' THEN counts.waitlist_position(r.id) END, r.consent_id, r.consent_override_reason,
        r.due_kind, r.due_on::text, r.escalate_on::text
        """

    /// What a referral row is shown with: its referrer's and programme's names, its municipality's region.
    static let lookups = """
        JOIN organisations ro ON ro.id = r.referring_organisation_id
        JOIN programmes p ON p.id = r.programme_id JOIN municipalities m ON m.code = r.municipality
        """

    /// Column by column, each as its own type: decoding the row as one tuple of 33 types looked the tuple's type up in
    /// the runtime for every row, a seventh of the server's CPU for a page of 25 (issue 23).
    static func decode(_ row: PostgresRow) throws -> Referral {
        var cells = RowCells(row)
        let id: UUID = try cells.next(), client: UUID = try cells.next(), referrer: UUID = try cells.next()
        let referrerName: String = try cells.next(), referringUser: UUID = try cells.next(), programme: UUID = try cells.next()
        let programmeName: String = try cells.next(), operatorID: UUID = try cells.next()
        let targetGroup: String = try cells.next(), ageBand: String = try cells.next(), code: String = try cells.next()
        let municipality: String = try cells.next(), region: String = try cells.next(), country: String = try cells.next()
        let names: [String] = try cells.next(), places: [String] = try cells.next(), needs: [String] = try cells.next()
        let urgency: String = try cells.next(), requestedStart: String? = try cells.next(), state: String = try cells.next()
        let overridden: [String] = try cells.next(), overrideReason: String? = try cells.next(), forwardedFrom: UUID? = try cells.next()
        let createdAt: Date = try cells.next(), submittedAt: Date? = try cells.next(), changedAt: Date = try cells.next()
        let version: Int = try cells.next(), position: Int? = try cells.next(), consent: UUID? = try cells.next()
        let consentOverride: String? = try cells.next(), dueKind: String? = try cells.next(), dueOn: String? = try cells.next()
        let escalateOn: String? = try cells.next()
        var referral = Referral(
            id: id, clientID: client, referringOrganisation: NamedID(id: referrer, name: referrerName), referringUserID: referringUser,
            programme: NamedID(id: programme, name: programmeName), operatorID: operatorID,
            targetGroup: try known(TargetGroup(rawValue: targetGroup)), ageBand: try known(AgeBand(rawValue: ageBand)),
            municipality: Municipality(code: code, name: municipality, region: region, country: country, names: Set(names), places: Set(places)),
            needs: needs.compactMap(ReferralNeed.init(rawValue:)), urgency: try known(ReferralUrgency(rawValue: urgency)),
            requestedStart: requestedStart, state: try known(ReferralState(rawValue: state)),
            overriddenRules: overridden.compactMap(EligibilityRule.init(rawValue:)),
            overrideReason: overrideReason.flatMap(EligibilityOverrideReason.init(rawValue:)), forwardedFrom: forwardedFrom,
            createdAt: createdAt, submittedAt: submittedAt, stateChangedAt: changedAt, version: version, waitlistPosition: position)
        referral.consentID = consent
        referral.consentOverrideReason = consentOverride.flatMap(ConsentOverrideReason.init(rawValue:))
        if let kind = dueKind.flatMap(DeadlineKind.init(rawValue:)), let due = dueOn.flatMap(Day.init), let escalation = escalateOn.flatMap(Day.init) {
            referral.deadline = ReferralDeadline(kind: kind, due: due, escalation: escalation)
        }
        return referral
    }

    /// The schema's CHECK constraints keep codes known; a stranger means the code and schema disagree.
    private static func known<T>(_ value: T?) throws -> T {
        guard let value else { throw ReferralRowError.unknownCode }
        return value
    }

    enum ReferralRowError: Error { case unknownCode }
}

/// A row's cells read one after the other, each decoded as the concrete type its caller names.
struct RowCells {
    private var cells: PostgresRow.Iterator

    init(_ row: PostgresRow) {
        cells = row.makeIterator()
    }

    mutating func next<Value: PostgresDecodable>() throws -> Value {
        guard let cell = cells.next() else { throw TooFewColumns() }
        return try cell.decode(Value.self)
    }

    struct TooFewColumns: Error {}
}
