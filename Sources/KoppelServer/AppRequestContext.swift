import HTTPTypes
import Hummingbird
import Logging

/// The context of one request: Hummingbird's core plus Koppel's request id.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Shown in the `X-Request-ID` response header and in every log line of the request.
    public var requestID: String = ""

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
