import HTTPTypes
import Hummingbird
import Logging

/// The context of one request: Hummingbird's core plus Koppel's request id.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Shown in the `X-Request-ID` response header and in every log line of the request.
    public var requestID: String = ""
    /// Who the request comes from; set before any handler runs.
    public var identity: Identity = .anonymous

    /// The client's address as this server sees it; keys sign-in throttling.
    public var clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
