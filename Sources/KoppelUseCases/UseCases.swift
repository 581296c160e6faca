import KoppelStore

/// Every use case a door may call, built once from the stores. A door (API handler, web page, FHIR mapper, CLI)
/// translates its input into a use case's, calls `run`, and translates the result or the `Failure` back.
public struct UseCases: Sendable {
    public let fileReferral: FileReferral
    public let takeReferralStep: TakeReferralStep
    public let readReferrals: ReadReferrals
    public let recordConsent: RecordConsent
    public let readConsents: ReadConsents
    public let readClients: ReadClients
    public let intakeReferral: IntakeReferral
    public let createUser: CreateUser
    public let manageAreas: ManageAreas
    public let manageFundingAgreements: ManageFundingAgreements

    public init(
        referrals: ReferralStore, privacy: Privacy, users: UserStore, areas: AreaStore, agreements: FundingAgreementStore,
        hash: @escaping @Sendable (String) async throws -> String
    ) {
        fileReferral = FileReferral(referrals: referrals)
        takeReferralStep = TakeReferralStep(referrals: referrals)
        readReferrals = ReadReferrals(referrals: referrals)
        recordConsent = RecordConsent(privacy: privacy)
        readConsents = ReadConsents(privacy: privacy)
        readClients = ReadClients(privacy: privacy)
        intakeReferral = IntakeReferral(privacy: privacy)
        createUser = CreateUser(users: users, hash: hash)
        manageAreas = ManageAreas(areas: areas)
        manageFundingAgreements = ManageFundingAgreements(agreements: agreements)
    }
}

/// Runs a use case's work, turning the domain errors it meets into the `Failure` every door understands.
func reportingFailures<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch { throw Failure.from(error) }
}
