import Foundation
import KoppelStore
import NIOCore

/// Slows down and then locks sign-in after failures, per account and per client address.
/// The state is in PostgreSQL, so every replica counts the same failures.
struct SignInThrottle: Sendable {
    enum Verdict: Equatable {
        case allowed
        case slowDown(Duration)
        case locked
    }

    let store: SignInThrottleStore
    /// Failures within this window count together.
    var window: Duration = .seconds(15 * 60)
    /// From this many failures on, each attempt waits a little longer before it is answered.
    var slowDownAfter = 3
    /// At this many failures an account is locked for `lockFor`; an address (which may be a whole office
    /// behind one router) at many more.
    var accountLockAfter = 10
    var addressLockAfter = 50
    var lockFor: Duration = .seconds(15 * 60)

    func admit(_ keys: [ByteBuffer]) async throws -> Verdict {
        var failures = 0
        for key in keys {
            guard let state = try await store.state(key) else { continue }
            if let locked = state.lockedUntil, locked > Date() { return .locked }
            if state.lastFailureAt > Date().addingTimeInterval(-Double(window.components.seconds)) {
                failures = max(failures, state.failures)
            }
        }
        guard failures >= slowDownAfter else { return .allowed }
        return .slowDown(.seconds(min(failures - slowDownAfter + 1, 5)))
    }

    func failed(account: ByteBuffer, address: ByteBuffer?) async throws {
        try await store.recordFailure(account, window: window, lockAfter: accountLockAfter, lockFor: lockFor)
        if let address {
            try await store.recordFailure(address, window: window, lockAfter: addressLockAfter, lockFor: lockFor)
        }
    }

    func succeeded(_ accountKey: ByteBuffer) async throws {
        try await store.clear(accountKey)
    }
}
