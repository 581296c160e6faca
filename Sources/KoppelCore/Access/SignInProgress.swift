/// Where a person stands in signing in, and what they must do next. Pure: the pages only follow it.
public enum SignInStep: String, Sendable, Equatable {
    /// A first sign-in with an initial password: choose one's own.
    case choosePassword
    /// A role that can see identifying data and no second factor yet: enrol one.
    case enrolSecondFactor
    /// Enrolled: give a code from the authenticator app (or a recovery code).
    case enterCode
    /// Signed in.
    case done
}

public enum SignInProgress {
    public static func next(
        mustChangePassword: Bool, requiresSecondFactor: Bool, secondFactorEnrolled: Bool, secondFactorGiven: Bool
    ) -> SignInStep {
        if mustChangePassword { return .choosePassword }
        guard requiresSecondFactor else { return .done }
        if !secondFactorEnrolled { return .enrolSecondFactor }
        return secondFactorGiven ? .done : .enterCode
    }

    /// Whether a session may choose a new password: only once signed in completely, or to replace an initial (or
    /// reset) password at the step that asks for it. Someone who has only the password may not change it, so a
    /// stolen password cannot lock out its owner without the second factor.
    public static func mayChangePassword(signInComplete: Bool, mustChangePassword: Bool) -> Bool {
        signInComplete || mustChangePassword
    }
}
