import Foundation
import KoppelStore
import NIOCore

/// Slows down and then locks each step of signing in after too many attempts, per account and per client address.
/// Every attempt is counted before it is checked, atomically in PostgreSQL, so every replica counts the same and
/// parallel attempts cannot pass the limit; a success ends only its own step's count.
struct SignInThrottle: Sendable {
    enum Verdict: Equatable {
        case allowed
        case slowDown(Duration)
        case locked
    }

    let store: SignInThrottleStore
    /// An account's attempts at one step: ten within fifteen minutes, then locked for fifteen.
    var account = SignInThrottleStore.Limits(window: .seconds(15 * 60), lockAfter: 10, lockFor: .seconds(15 * 60))
    /// An address may be a whole office behind one router: many more.
    var address = SignInThrottleStore.Limits(window: .seconds(15 * 60), lockAfter: 50, lockFor: .seconds(15 * 60))
    /// From this many attempts at an account on, each waits a little longer before it is checked.
    var slowDownAfter = 3

    /// Counts an attempt at `step` for the account (by e-mail address) and, if given, the client address (the
    /// password step gives it; the code step, which needs the password first, does not).
    func admit(_ step: SignInThrottleStore.Step, email: String, address clientAddress: String?) async throws -> Verdict {
        var attempts = [try await store.attempt(SignInThrottleStore.accountKey(email, step: step), account)]
        if let clientAddress {
            attempts.append(try await store.attempt(SignInThrottleStore.addressKey(clientAddress), address))
        }
        if attempts.contains(where: { !$0.allowed }) { return .locked }
        // The account's own attempts slow it down; an address's only lock it, as it may be a whole office.
        let own = attempts[0].number
        guard own > slowDownAfter else { return .allowed }
        return .slowDown(.seconds(min(own - slowDownAfter, 5)))
    }

    /// The step succeeded: its count for the account starts again, and the address, if given, takes back the attempt.
    func succeeded(_ step: SignInThrottleStore.Step, email: String, address clientAddress: String? = nil) async throws {
        try await store.clear(SignInThrottleStore.accountKey(email, step: step))
        if let clientAddress { try await store.forgive(SignInThrottleStore.addressKey(clientAddress), address) }
    }
}
