import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KoppelCore
import KoppelServer
import KoppelStore
import KoppelTestSupport
import Testing

/// A crowd of requests, as an attacker or a busy morning makes one: limits answer 429 with Retry-After and readiness
/// keeps telling the truth. (A crowd of sign-ins over many connections: Tests/browser/test_sign_in_crowd.py.)
@Suite("Rate limits and load")
struct LoadLimitsTests {
    @Test("past its burst a caller gets 429 with Retry-After; another caller and the probes are not held up")
    func perCaller() async throws {
        try await TestApp.run(rateLimit: 60) { client, database in
            let cast = try await ReferralCast.make(client, database)
            let api = APICall(client: client)
            // Thirty at once after a quiet spell: the burst (a sixth of the minute's 60) passes, and past it they are
            // refused, however slowly a busy machine sends them (the allowance refills one a second).
            let started = ContinuousClock.now
            var responses: [TestResponse] = []
            for _ in 0..<30 {
                responses.append(try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(cast.caseworker)"]) { $0 })
            }
            let seconds = Int((ContinuousClock.now - started).components.seconds)
            #expect(responses.prefix(10).allSatisfy { $0.status == .ok }, "a burst of a sixth of a minute's allowance")
            let allowed = responses.filter { $0.status == .ok }.count
            #expect(allowed <= 10 + seconds + 1, "no more than the burst and what refilled in \(seconds) s")
            let refused = try #require(responses.first { $0.status == .tooManyRequests })
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(refused.headers[.contentType] == "application/problem+json")
            #expect(try await api(.get, "/api/v1/me", as: cast.twoGo).status == .ok)
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("a flood of made-up tokens from one address is refused before any is looked up")
    func floodBeforeAuthentication() async throws {
        try await TestApp.run(rateLimit: 60) { client, _ in
            var statuses: [HTTPResponse.Status] = []
            let started = ContinuousClock.now
            for number in 0..<100 {
                statuses.append(
                    try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer kpl_guess\(number)"]) { $0.status })
            }
            // Four callers' worth a minute per address, a burst of 40: the rest refused while the allowance refills, four
            // a second (however slowly a busy machine sends them).
            let refilled = 4 * Int((ContinuousClock.now - started).components.seconds) + 4
            #expect(statuses.prefix(40).allSatisfy { $0 == .unauthorized })
            #expect(statuses.filter { $0 == .tooManyRequests }.count >= min(20, 60 - refilled), "\(statuses.map(\.code))")
            #expect(statuses.filter { $0 == .unauthorized }.count <= 40 + refilled, "no more looked up than the burst and the refill")
        }
    }

    @Test("readiness answers from a connection of its own while funders' reports fill the pool")
    func readinessUnderLoad() async throws {
        try await TestApp.run(over: .live) { client, database in
            let cast = try await ReferralCast.make(client, database)
            let uri = "/api/v1/statistics?programme=\(cast.twoGoID)&period=2026&breakdown=region"
            // One report first, which counts and keeps the past months: the crowd then fills the pool with reports, not
            // with waiting for each other's first count (a busy machine made that outlast the probe's read timeout).
            _ = try? await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(cast.funder)"])
            let readiness = try await withThrowingTaskGroup(of: HTTPResponse.Status?.self) { group in
                for _ in 0..<24 {
                    // Load only: on a busy machine a report may outlast the test client's read timeout, which says nothing of readiness.
                    group.addTask {
                        _ = try? await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(cast.funder)"])
                        return nil
                    }
                }
                group.addTask {
                    // The test client gives up after a fixed time; on a machine busy with the whole suite one probe may
                    // not be read in time, which says nothing of readiness: a probe is sent again, up to three times.
                    for attempt in 1...3 {
                        do { return try await client.execute(uri: "/readyz", method: .get).status } catch where attempt < 3 { continue }
                    }
                    return nil
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { if let status = $1 { $0.append(status) } }
            }
            #expect(readiness == [.ok])
        }
    }

    @Test("a replica whose requests get no answer for too long is not ready; one answer and it is again")
    func stalledPool() {
        let progress = ServingProgress()
        #expect(progress.stalled() == nil, "nothing waiting")
        progress.begin()
        #expect((progress.stalled(now: .now + .seconds(30)) ?? .zero) >= .seconds(30))
        progress.begin()
        progress.end(answered: false)
        #expect(progress.stalled(now: .now + .seconds(30)) != nil, "a 503 is no answer")
        progress.end(answered: true)
        #expect(progress.stalled() == nil)
    }
}
