import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelStore
import KoppelTestSupport
import NIOHTTP1
import PostgresNIO
import Testing

/// Prometheus metrics on a port of their own: what operators watch, and never a person, an id or the public's port.
@Suite("Metrics for operators")
struct MetricsTests {
    /// A loopback port nobody listens on now.
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw CancellationError() }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func scrape(_ port: Int) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(30))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    /// The value of the sample with exactly these labels (in the order the registry writes them), nil when absent.
    static func sample(_ text: String, _ name: String, _ labels: String = "") -> Double? {
        let prefix = labels.isEmpty ? "\(name) " : "\(name){\(labels)} "
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
    }

    @Test("requests by route template and status, sign-in failures, reveals, the outbox's backlog and the pools; nothing identifying")
    func scrapeAfterUse() async throws {
        let port = try Self.freePort()
        try await TestApp.run(metricsPort: port) { client, database in
            let api = APICall(client: client)
            let cast = try await ReferralCast.make(client, database)
            let unknown = UUID().uuidString.lowercased()
            #expect(try await api(.get, "/api/v1/referrals/\(unknown)", as: cast.caseworker).status == .notFound)
            let clientID = try await api.consentedClient(as: cast.caseworker)
            _ = try await api.file(cast.forTwoGo(["client_id": clientID]), as: cast.caseworker)
            #expect(try await api(.post, "/api/v1/clients/\(clientID)/reveal", as: cast.caseworker, ["purpose": "contact"]).status == .ok)
            let browser = TestBrowser(client)
            let refused = try await TestPeople.submitPassword(browser, email: "nobody@koppel.example", password: "not the password")
            #expect(refused.status == .unauthorized)
            // The public port has no metrics.
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .notFound)

            let text = try await Self.scrape(port)
            #expect(Self.sample(text, "koppel_http_requests_total", #"route="/api/v1/referrals/{referralId}",method="GET",status="404""#) == 1)
            #expect(Self.sample(text, "koppel_http_requests_total", #"route="/api/v1/referrals",method="POST",status="201""#) == 1)
            #expect(Self.sample(text, "koppel_http_requests_total", #"route="unknown",method="GET",status="404""#) == 1, "/metrics on the public port")
            #expect(Self.sample(text, "koppel_http_request_duration_seconds_count", #"route="/api/v1/referrals",method="POST""#) == 1)
            #expect(Self.sample(text, "koppel_sign_in_failures_total", #"step="password",reason="wrong""#) == 1)
            #expect(Self.sample(text, "koppel_reveals_total", #"purpose="contact""#) == 1)
            // No webhook worker runs here: the submission's event waits in the outbox, and the gauge says so.
            #expect((Self.sample(text, "koppel_outbox_waiting_webhooks") ?? 0) >= 1)
            #expect((Self.sample(text, "koppel_outbox_oldest_webhooks_seconds") ?? -1) >= 0)
            #expect(Self.sample(text, "koppel_database_up") == 1)
            #expect(text.contains(#"koppel_db_connections{pool="requests""#))
            #expect((Self.sample(text, "koppel_db_connection_wait_seconds_count", #"transaction="tenant""#) ?? 0) >= 1)
            // The read of one referral is one statement with no transaction block (decision 0023), measured as such.
            #expect((Self.sample(text, "koppel_db_connection_wait_seconds_count", #"transaction="statement""#) ?? 0) >= 1)
            for secret in [unknown, clientID, "nobody@koppel.example", cast.caseworker] {
                #expect(!text.contains(secret), "an id, an address or a token in the metrics")
            }
        }
    }
}
