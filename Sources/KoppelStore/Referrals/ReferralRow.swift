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

    static func decode(_ row: PostgresRow) throws -> Referral {
        let (id, client, referrer, referrerName, referringUser, programme, programmeName, operatorID,
             targetGroup, ageBand, code, municipality, region, country, names, places, needs, urgency, requestedStart, state,
             overridden, overrideReason, forwardedFrom, createdAt, submittedAt, changedAt, version, position, consent, consentOverride,
             dueKind, dueOn, escalateOn) =
            try row.decode((UUID, UUID, UUID, String, UUID, UUID, String, UUID, String, String, String, String, String, String, [String], [String], [String],
                            String, String?, String, [String], String?, UUID?, Date, Date?, Date, Int, Int?, UUID?, String?,
                            String?, String?, String?).self)
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
