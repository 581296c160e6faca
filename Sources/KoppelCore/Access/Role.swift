/// What a user may do in Koppel, held within their one organisation.
public enum Role: String, CaseIterable, Sendable, Codable, Hashable {
    /// Files and follows referrals for their own organisation.
    case caseworker
    /// Decides on referrals to the programmes they coordinate, which their organisation operates.
    case coordinator
    /// Sees aggregate figures of the programmes their organisation funds; never a person.
    case funder
    /// Manages the users and API tokens of their own organisation.
    case orgAdmin = "org-admin"
    /// Manages organisations and programmes; sees no client data by virtue of this role.
    case hubAdmin = "hub-admin"

    /// Whether holding this role demands a second factor at sign-in: every role that can ever see
    /// identifying data, and the admins, who can create users who do.
    public var requiresSecondFactor: Bool { self != .funder }
}
