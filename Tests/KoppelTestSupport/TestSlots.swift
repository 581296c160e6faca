import Foundation

/// Bounds how many tests hold a database (and the server, pools and connections that come with it) at once.
/// Swift Testing starts every test of the run together; on two cores hundreds of servers at once made the machine
/// so busy that tests timing a schedule or a deadline failed. KOPPEL_TEST_SLOTS overrides the bound.
public actor TestSlots {
    public static let shared = TestSlots(count: Int(ProcessInfo.processInfo.environment["KOPPEL_TEST_SLOTS"] ?? "") ?? defaultCount)

    /// A few tests per core: most of a test's time is spent waiting for PostgreSQL or a deliberate delay.
    static var defaultCount: Int { max(4, 3 * ProcessInfo.processInfo.activeProcessorCount) }

    /// Whether this task already holds a slot: a test that makes a second database does not wait for itself.
    @TaskLocal static var held = false

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = max(1, count) }

    /// Runs `body` once a slot is free, and frees it afterwards.
    public nonisolated func holding<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if Self.held { return try await body() }
        await acquire()
        do {
            let result = try await Self.$held.withValue(true) { try await body() }
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }

    private func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

/// Names a test that runs far longer than any should, and ends the run if it never finishes: a test that hangs
/// would otherwise hold the whole test command until CI's limit, without saying which it was.
public enum TestWatchdog {
    static let warnAfter: Duration = .seconds(180)
    static let stopAfter: Duration = .seconds(600)

    public static func watching<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T {
        let watchdog = Task.detached {
            try await Task.sleep(for: warnAfter)
            FileHandle.standardError.write(Data("koppel tests: \"\(name)\" is still running after \(warnAfter)\n".utf8))
            try await Task.sleep(for: stopAfter - warnAfter)
            FileHandle.standardError.write(Data("koppel tests: \"\(name)\" did not finish in \(stopAfter): the run is stopped\n".utf8))
            exit(3)
        }
        defer { watchdog.cancel() }
        return try await body()
    }
}
