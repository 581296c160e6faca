import Foundation
import KoppelCore
import Testing

@Suite("The access policy")
struct AccessPolicyTests {
    static let own = UUID()
    static let other = UUID()

    static func actor(_ roles: Set<Role>) -> Actor {
        Actor(userID: UUID(), organisationID: own, roles: roles)
    }

    /// Each action, on the actor's own organisation and on another's.
    static func actions(on organisation: UUID) -> [String: Action] {
        [
            "listUsers": .listUsers(organisation: organisation),
            "createCaseworker": .createUser(organisation: organisation, roles: [.caseworker]),
            "createOrgAdmin": .createUser(organisation: organisation, roles: [.orgAdmin]),
            "createHubAdmin": .createUser(organisation: organisation, roles: [.hubAdmin]),
            "disableUser": .disableUser(organisation: organisation),
            "listTokens": .listTokens(organisation: organisation),
            "createToken": .createToken(organisation: organisation),
            "revokeToken": .revokeToken(organisation: organisation),
        ]
    }

    /// Which organisation-scoped actions each role is allowed, on its own organisation and on another's.
    /// Written out by hand: the table is the specification the policy is checked against.
    static let allowed: [Role: (own: Set<String>, other: Set<String>)] = [
        .caseworker: ([], []),
        .coordinator: ([], []),
        .funder: ([], []),
        .orgAdmin: (
            ["listUsers", "createCaseworker", "createOrgAdmin", "disableUser", "listTokens", "createToken", "revokeToken"], []
        ),
        .hubAdmin: (["createOrgAdmin", "createHubAdmin"], ["createOrgAdmin", "createHubAdmin"]),
    ]

    @Test("every role × organisation-scoped action × own or other organisation", arguments: Role.allCases)
    func matrix(role: Role) {
        let expected = Self.allowed[role]!
        for (name, action) in Self.actions(on: Self.own) {
            let decision = AccessPolicy.decide(Self.actor([role]), action)
            #expect(decision.isAllowed == expected.own.contains(name), "\(role.rawValue) \(name) on own organisation: \(decision)")
        }
        for (name, action) in Self.actions(on: Self.other) {
            let decision = AccessPolicy.decide(Self.actor([role]), action)
            #expect(decision.isAllowed == expected.other.contains(name), "\(role.rawValue) \(name) on another organisation: \(decision)")
        }
    }

    @Test("nobody signed in may only read the directory")
    func anonymous() {
        #expect(AccessPolicy.decide(nil, .viewDirectory) == .allow)
        #expect(AccessPolicy.decide(nil, .viewOwnAccount) == .deny(.notSignedIn))
        #expect(AccessPolicy.decide(nil, .manageOrganisations) == .deny(.notSignedIn))
        for action in Self.actions(on: Self.own).values {
            #expect(AccessPolicy.decide(nil, action) == .deny(.notSignedIn))
        }
    }

    @Test("only a hub-admin manages organisations; everyone signed in sees their own account")
    func organisationsAndAccount() {
        for role in Role.allCases {
            #expect(AccessPolicy.decide(Self.actor([role]), .manageOrganisations).isAllowed == (role == .hubAdmin))
            #expect(AccessPolicy.decide(Self.actor([role]), .viewOwnAccount) == .allow)
        }
    }

    @Test("denials say what is lacking")
    func reasons() {
        #expect(AccessPolicy.decide(Self.actor([.caseworker]), .listUsers(organisation: Self.own)) == .deny(.missingRole(.orgAdmin)))
        #expect(AccessPolicy.decide(Self.actor([.orgAdmin]), .listUsers(organisation: Self.other)) == .deny(.otherOrganisation))
        #expect(AccessPolicy.decide(Self.actor([.orgAdmin]), .createUser(organisation: Self.own, roles: [.hubAdmin]))
            == .deny(.cannotGrant(.hubAdmin)))
        #expect(AccessPolicy.decide(Self.actor([.funder]), .manageOrganisations) == .deny(.missingRole(.hubAdmin)))
    }

    @Test("an org-admin who is also a caseworker still administers only their own organisation")
    func combinedRoles() {
        let actor = Self.actor([.orgAdmin, .caseworker, .coordinator])
        #expect(AccessPolicy.decide(actor, .disableUser(organisation: Self.own)) == .allow)
        #expect(AccessPolicy.decide(actor, .disableUser(organisation: Self.other)) == .deny(.otherOrganisation))
        #expect(AccessPolicy.decide(actor, .createUser(organisation: Self.own, roles: [.caseworker, .hubAdmin])) == .deny(.cannotGrant(.hubAdmin)))
    }

    @Test("every role but funder demands a second factor")
    func secondFactor() {
        #expect(Role.allCases.filter(\.requiresSecondFactor) == [.caseworker, .coordinator, .orgAdmin, .hubAdmin])
        #expect(!Self.actor([.funder]).requiresSecondFactor)
        #expect(Self.actor([.funder, .orgAdmin]).requiresSecondFactor)
    }
}

@Suite("Password rules")
struct PasswordRulesTests {
    let rules = PasswordRules(commonPasswords: ["password1", "Welkom123"])

    @Test("8 to 128 characters, no composition rules, common passwords refused whatever their case")
    func rulesHold() {
        #expect(rules.problem(with: "kort") == .tooShort)
        #expect(rules.problem(with: String(repeating: "a", count: 7)) == .tooShort)
        #expect(rules.problem(with: "lange zin zonder cijfers") == nil)
        #expect(rules.problem(with: String(repeating: "x", count: 128)) == nil)
        #expect(rules.problem(with: String(repeating: "x", count: 129)) == .tooLong)
        #expect(rules.problem(with: "PASSWORD1") == .common)
        #expect(rules.problem(with: "welkom123") == .common)
    }
}

@Suite("Sign-in steps")
struct SignInProgressTests {
    @Test("an initial password is changed first, then a second factor is enrolled or given; funders need none")
    func steps() {
        typealias P = SignInProgress
        #expect(P.next(mustChangePassword: true, requiresSecondFactor: true, secondFactorEnrolled: true, secondFactorGiven: false) == .choosePassword)
        #expect(P.next(mustChangePassword: true, requiresSecondFactor: false, secondFactorEnrolled: false, secondFactorGiven: false) == .choosePassword)
        #expect(P.next(mustChangePassword: false, requiresSecondFactor: true, secondFactorEnrolled: false, secondFactorGiven: false) == .enrolSecondFactor)
        #expect(P.next(mustChangePassword: false, requiresSecondFactor: true, secondFactorEnrolled: true, secondFactorGiven: false) == .enterCode)
        #expect(P.next(mustChangePassword: false, requiresSecondFactor: true, secondFactorEnrolled: true, secondFactorGiven: true) == .done)
        #expect(P.next(mustChangePassword: false, requiresSecondFactor: false, secondFactorEnrolled: false, secondFactorGiven: false) == .done)
    }
}

@Suite("The access policy on referrals")
struct ReferralAccessPolicyTests {
    static let referrer = UUID()
    static let programme = UUID()
    static let referral = ReferralScope(referringOrganisation: referrer, programme: programme)

    /// Caseworker of the referring organisation, coordinator of the programme, and everyone who is neither.
    static let people: [String: Actor] = [
        "caseworker": Actor(userID: UUID(), organisationID: referrer, roles: [.caseworker]),
        "caseworker elsewhere": Actor(userID: UUID(), organisationID: UUID(), roles: [.caseworker]),
        "coordinator": Actor(userID: UUID(), organisationID: UUID(), roles: [.coordinator], coordinatedProgrammes: [programme]),
        "coordinator of another programme": Actor(userID: UUID(), organisationID: UUID(), roles: [.coordinator], coordinatedProgrammes: [UUID()]),
        "coordinator in the referring organisation": Actor(userID: UUID(), organisationID: referrer, roles: [.coordinator]),
        "funder": Actor(userID: UUID(), organisationID: referrer, roles: [.funder]),
        "org-admin": Actor(userID: UUID(), organisationID: referrer, roles: [.orgAdmin]),
        "hub-admin": Actor(userID: UUID(), organisationID: referrer, roles: [.hubAdmin]),
    ]

    @Test("only the referring caseworker and the programme's coordinator see a referral")
    func view() {
        for (name, actor) in Self.people {
            let expected = ["caseworker", "coordinator"].contains(name)
            #expect(AccessPolicy.decide(actor, .viewReferral(Self.referral)).isAllowed == expected, "\(name)")
        }
        #expect(AccessPolicy.decide(nil, .viewReferral(Self.referral)) == .deny(.notSignedIn))
    }

    @Test("every step × every person: the referrer submits and withdraws, the coordinator does the rest", arguments: ReferralAction.allCases)
    func steps(action: ReferralAction) {
        for (name, actor) in Self.people {
            let expected = name == (action.side == .referrer ? "caseworker" : "coordinator")
            #expect(AccessPolicy.decide(actor, .stepReferral(Self.referral, action)).isAllowed == expected, "\(name) \(action)")
        }
    }

    @Test("caseworkers file referrals for their own organisation only; funders and admins list none")
    func createAndList() {
        for (name, actor) in Self.people {
            #expect(AccessPolicy.decide(actor, .createReferral(referringOrganisation: Self.referrer)).isAllowed == (name == "caseworker"), "\(name)")
            let lists = name.hasPrefix("caseworker") || name.hasPrefix("coordinator")
            #expect(AccessPolicy.decide(actor, .listReferrals).isAllowed == lists, "\(name)")
            #expect(AccessPolicy.decide(actor, .viewCapacity) == .allow, "\(name)")
            #expect(AccessPolicy.decide(actor, .viewWaitingList(programme: Self.programme)).isAllowed == (name == "coordinator"), "\(name)")
            let edits = name == "coordinator" || name == "hub-admin"
            #expect(AccessPolicy.decide(actor, .editProgramme(programme: Self.programme)).isAllowed == edits, "\(name)")
        }
        #expect(AccessPolicy.decide(nil, .viewCapacity) == .deny(.notSignedIn))
        #expect(AccessPolicy.decide(Self.people["caseworker elsewhere"], .createReferral(referringOrganisation: Self.referrer)) == .deny(.notReferrer))
    }
}
