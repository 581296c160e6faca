import AsyncHTTPClient
import Foundation
import KoppelCore
import KoppelStore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Tracing

/// Sends one delivery as Standard Webhooks 1.0 says: `webhook-id` (the same on every try), `webhook-timestamp`, and
/// `webhook-signature` with one `v1,` signature per secret in force. The endpoint's host is resolved once and every
/// address checked against `WebhookEndpointPolicy`; the connection goes to that checked address (the TLS name stays the
/// host's). 15 seconds at most, no redirects followed, at most 64 KB of the answer read and 1 KB of it kept.
final class WebhookSender: Sendable {
    static let timeout: TimeAmount = .seconds(15)
    static let maximumResponseBytes = 64 * 1024

    let policy: WebhookEndpointPolicy
    let spans: Spans
    let logger: Logger
    private let resolver = AddressResolver(threads: 4)
    /// One client per checked (host, address), so connections to a receiver are reused.
    private let clients = Mutex<[String: HTTPClient]>([:])

    init(policy: WebhookEndpointPolicy, spans: Spans = .local, logger: Logger) {
        self.policy = policy
        self.spans = spans
        self.logger = logger
    }

    /// Each try is a span of the trace of the request that wrote the event, and the receiver gets it as `traceparent`.
    func send(_ delivery: ClaimedDelivery, now: Date) async -> DeliveryOutcome {
        let span = spans.start("webhook delivery", kind: .client, traceparent: delivery.traceparent)
        span.set("webhook.attempt", delivery.attempts)
        let outcome = await send(delivery, now: now, trace: span.context)
        if let status = outcome.httpStatus { span.set("http.response.status_code", status) }
        if let error = outcome.errorClass { span.set("error.type", error) }
        span.end(failed: !outcome.succeeded)
        return outcome
    }

    private func send(_ delivery: ClaimedDelivery, now: Date, trace: TraceContext) async -> DeliveryOutcome {
        let started = ContinuousClock.now
        func outcome(_ status: Int?, _ error: String?, _ excerpt: String? = nil) -> DeliveryOutcome {
            let elapsed = (ContinuousClock.now - started).components
            return DeliveryOutcome(
                httpStatus: status, latencyMilliseconds: Int(elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000),
                errorClass: error, responseExcerpt: excerpt)
        }
        guard policy.problem(with: delivery.url) == nil, let url = URLComponents(string: delivery.url), let host = url.host else {
            return outcome(nil, "invalid_url")
        }
        let address: IPAddress
        do {
            let addresses = try await resolver.addresses(of: host)
            guard addresses.allSatisfy({ policy.refusal(of: $0) == nil }), let first = addresses.first else { return outcome(nil, "refused_address") }
            address = first
        } catch {
            return outcome(nil, "dns")
        }
        let timestamp = Int64(now.timeIntervalSince1970)
        let body = Data(delivery.body.utf8)
        let signatures = delivery.secrets.compactMap(WebhookSignature.key(of:)).map {
            WebhookSignature.sign(id: delivery.messageID, timestamp: timestamp, body: body, key: $0)
        }
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "Koppel-Webhooks/1")
        request.headers.add(name: "webhook-id", value: delivery.messageID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: signatures.joined(separator: " "))
        request.headers.add(name: "traceparent", value: trace.header)
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client(host: host, address: address).execute(request, timeout: Self.timeout)
            let answer = try await response.body.collect(upTo: Self.maximumResponseBytes)
            return outcome(Int(response.status.code), nil, Self.excerpt(answer))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return outcome(nil, "timeout")
        } catch is NIOTooManyBytesError {
            return outcome(nil, "too_large")
        } catch {
            return outcome(nil, "connection")
        }
    }

    /// Closes every client; the service calls it as it stops.
    func shutdown() async {
        let all = clients.withLock { clients in
            defer { clients.removeAll() }
            return Array(clients.values)
        }
        for client in all { try? await client.shutdown() }
        await resolver.shutdown()
    }

    private func client(host: String, address: IPAddress) -> HTTPClient {
        let key = "\(host)|\(address)"
        return clients.withLock { clients in
            if let client = clients[key] { return client }
            var configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: Self.timeout))
            configuration.dnsOverride = [host: address.description]
            // The try's span is this sender's own (`Spans`), and so is the `traceparent` it sends: the client's span
            // would start a trace of its own and put its header in place of the one that joins the request's.
            configuration.tracing.tracer = nil
            // A receiver that refuses the connection fails this try at once: the delivery schedule tries again later.
            // The client would otherwise keep connecting until the connect timeout, holding a delivery slot meanwhile.
            configuration.connectionPool.retryConnectionEstablishment = false
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration, backgroundActivityLogger: logger)
            clients[key] = client
            return client
        }
    }

    /// At most 1 KB of the answer, as text, for the delivery log.
    static func excerpt(_ buffer: ByteBuffer) -> String? {
        guard buffer.readableBytes > 0 else { return nil }
        let bytes = buffer.getBytes(at: buffer.readerIndex, length: min(buffer.readableBytes, 1024)) ?? []
        var text = String(decoding: bytes, as: UTF8.self)
        while text.utf8.count > 1024 { text.removeLast() }
        return text
    }
}
