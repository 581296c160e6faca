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
}
