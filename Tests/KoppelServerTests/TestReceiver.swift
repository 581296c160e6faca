import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// A partner's webhook receiver on a loopback port, for tests of the delivery engine: records every request and
/// answers with the status the test sets.
final class TestReceiver: Sendable {
    struct Request: Sendable {
        let webhookID: String
        let signature: String
        let body: String
    }

    private let state = Mutex<(requests: [Request], answer: HTTPResponse.Status)>(([], .ok))

    var requests: [Request] { state.withLock { $0.requests } }

    func answer(_ status: HTTPResponse.Status) {
        state.withLock { $0.answer = status }
    }

    /// Runs `body` with the receiver listening; its URL is `http://127.0.0.1:PORT/hook`.
    static func run<T: Sendable>(_ body: @escaping @Sendable (TestReceiver, String) async throws -> T) async throws -> T {
        let receiver = TestReceiver()
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let status = receiver.state.withLock { state in
                state.requests.append(Request(
                    webhookID: request.headers[HTTPField.Name("webhook-id")!] ?? "",
                    signature: request.headers[HTTPField.Name("webhook-signature")!] ?? "", body: String(buffer: bytes)))
                return state.answer
            }
            // A redirect points back at this receiver: following it would show as a second request.
            return Response(status: status, headers: status == .found ? [.location: "/hook"] : [:])
        }
        let (ports, port) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.yield(channel.localAddress?.port ?? 0) })
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            guard let listening = await iterator.next() else { throw CancellationError() }
            defer { group.cancelAll() }
            return try await body(receiver, "http://127.0.0.1:\(listening)/hook")
        }
    }

    /// Waits (up to `seconds`) until `condition` holds.
    func wait(
        for seconds: Double = 20, _ what: String, sourceLocation: SourceLocation = #_sourceLocation, until condition: (TestReceiver) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition(self) {
            guard ContinuousClock.now < deadline else {
                Issue.record("waited \(seconds) s for \(what)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
