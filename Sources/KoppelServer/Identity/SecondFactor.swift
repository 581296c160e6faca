import Foundation
import KoppelCore
import HummingbirdOTP

/// TOTP as authenticator apps do it: 6 digits, 30-second steps, SHA-1, one step of clock drift either way.
public enum SecondFactor {
    static let timeStep = 30

    /// A new secret: 20 random characters from the base32 alphabet (the bytes HummingbirdOTP keys its HMAC with).
    public static func newSecret() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        return String((0..<20).map { _ in alphabet.randomElement()! })
    }

    /// The `otpauth://` URI an authenticator app reads, naming Koppel and the account.
    public static func enrolmentURI(secret: String, account: String) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "Koppel:\(account)", issuer: "Koppel")
    }

    /// The key as an authenticator app takes it when typed in: the base32 form the `otpauth://` URI carries.
    public static func manualKey(secret: String, account: String) -> String {
        let uri = enrolmentURI(secret: secret, account: account)
        return URLComponents(string: uri)?.queryItems?.first { $0.name == "secret" }?.value ?? ""
    }

    /// The time step a code belongs to, or nil when it matches none of now and one step either side.
    /// The caller then accepts the step only if it is later than the last one accepted (no replay).
    public static func matchingStep(code: String, secret: String, now: Date = WallClock.current.now()) -> Int64? {
        let digits = code.filter { !$0.isWhitespace }
        guard digits.count == 6, let value = Int(digits) else { return nil }
        let totp = TOTP(secret: secret)
        let current = Int64(now.timeIntervalSince1970) / Int64(timeStep)
        for step in [current, current - 1, current + 1] {
            let date = Date(timeIntervalSince1970: TimeInterval(step * Int64(timeStep)))
            if totp.compute(date: date) == value { return step }
        }
        return nil
    }

    /// The code for a moment; tests and the enrolment check use it.
    public static func code(secret: String, at date: Date) -> String {
        String(format: "%06d", TOTP(secret: secret).compute(date: date))
    }
}
