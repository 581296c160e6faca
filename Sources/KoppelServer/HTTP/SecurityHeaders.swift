import HTTPTypes
import Hummingbird

/// Headers every response carries: no scripts, no framing, no sniffing, no referrer leaks.
enum SecurityHeaders {
    /// Pages are server-rendered and need no JavaScript, so the policy allows none, inline or otherwise.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func apply(to headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        headers[.xFrameOptions] = "DENY"
        headers[.crossOriginOpenerPolicy] = "same-origin"
        headers[.permissionsPolicy] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        // Browsers heed it over HTTPS only, which is how Koppel is served in production (behind TLS at the ingress).
        headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains"
        // Nothing Koppel answers to a signed-in caller may be kept by a browser or a proxy; the public directory,
        // the contract and static files may be.
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xRequestID = Self("X-Request-ID")!
    static let traceparent = Self("traceparent")!
    static let traceresponse = Self("traceresponse")!
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let permissionsPolicy = Self("Permissions-Policy")!
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
}
