import Foundation
import Testing

@testable import KoppelStore

/// `koppel.now` is what `koppel_now()` reads: the database's clock is the application's (decision 0014).
@Suite("The clock as the database reads it")
struct ClockSettingTests {
    @Test("seconds since 1970 to the microsecond, as printf's %.6f writes them")
    func sameAsPrintf() {
        for seconds in [0, 0.000001, 1.5, 1_790_000_000.123456, 1_790_000_000.9999996, 1_799_999_999.000042, -0.25, -1.5] {
            let time = Date(timeIntervalSince1970: seconds)
            #expect(clockSetting(time) == String(format: "%.6f", time.timeIntervalSince1970), "\(seconds)")
        }
    }
}
