import Foundation
import HTTPTypes
import Hummingbird
import KoppelStore

/// The limits every request is held to (decision 0015): a rate per caller, and a stricter one for sign-in forms, the
/// costliest thing (bcrypt) anyone can make Koppel do without an account. Off with a rate of 0 (load tests).
struct RequestLimits: Sendable {
    /// Any request, per signed-in user or else per client address.
    let perCaller: RateLimiter?
    /// Passwords and codes sent, per client address.
    let signIns: RateLimiter?
    /// Any request per client address, before its credentials are looked up: four callers' worth, as an office of
    /// colleagues may share one address.
    let perAddress: RateLimiter?

    init(perMinute: Int) {
        perCaller = perMinute > 0 ? RateLimiter(.init(perMinute: perMinute, burst: max(1, perMinute / 6))) : nil
        signIns = perMinute > 0 ? RateLimiter(.init(perMinute: 20, burst: 10)) : nil
        perAddress = perMinute > 0 ? RateLimiter(.init(perMinute: perMinute * 4, burst: max(1, perMinute * 4 / 6))) : nil
    }

    /// The 429 for an address past its limit, checked before anything costs a database call.
    func beforeAuthentication(_ request: Request, context: AppRequestContext) -> Problem? {
        guard !WebPaths.isOperational(request.uri.path), case .limited(let seconds) = perAddress?.admit("address:" + context.clientAddress)
        else { return nil }
        return Self.tooMany(seconds)
    }

    /// The 429 for a request past its limits, or nil. Probes and static files are never limited.
    func problem(for request: Request, context: AppRequestContext) -> Problem? {
        let path = request.uri.path
        guard !WebPaths.isOperational(path) else { return nil }
        let address = "address:" + context.clientAddress
        if request.method == .post, path.hasPrefix("/sign-in"), case .limited(let seconds) = signIns?.admit(address) {
            return Self.tooMany(seconds)
        }
        let caller = Self.caller(of: request, identity: context.identity) ?? address
        if case .limited(let seconds) = perCaller?.admit(caller) { return Self.tooMany(seconds) }
        return nil
    }

    /// Whom a request is counted for: an API token by itself (by its hash: whether or not it is checked yet, decision
    /// 0026), a session by its user, nil for anyone else (counted by address).
    static func caller(of request: Request, identity: Identity) -> String? {
        // A token its use case checks later was read from the header already.
        let token: SecretToken? =
            if case .presentedToken(let token) = identity { token } else { request.headers[.authorization].flatMap { try? Authenticator.bearerToken($0) } }
        if let token { return "token:" + Data(token.hash.readableBytesView).base64EncodedString() }
        return identity.account.map { "user:" + $0.id.uuidString }
    }

    static func tooMany(_ seconds: Int) -> Problem {
        Problem(
            status: .tooManyRequests, detail: "Too many requests from you in a short time. Try again in \(seconds) second\(seconds == 1 ? "" : "s").",
            retryAfterSeconds: seconds)
    }
}
