import Foundation
import KoppelCore

/// JSON written straight into bytes, byte for byte as the API's `JSONEncoder` writes it (`APIWireFormat`): compact,
/// slashes unescaped, times in RFC 3339 UTC whole seconds. The caller writes an object's keys in sorted order, as the
/// encoder's `.sortedKeys` would. For the hottest answers only: the generic encoder builds a tree of boxed values and
/// sorts every object's keys for each answer, which cost a referral read 7.5% of the server's CPU (issue 23).
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// At the start of an object or array, or just after a key: the next value needs no comma before it.
    private var fresh = true

    init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    mutating func openObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        fresh = true
    }

    mutating func closeObject() {
        bytes.append(UInt8(ascii: "}"))
        fresh = false
    }

    mutating func openArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        fresh = true
    }

    mutating func closeArray() {
        bytes.append(UInt8(ascii: "]"))
        fresh = false
    }

    /// A key of the object being written; its value comes next. Keys are the contract's own, plain ASCII.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        fresh = true
    }

    mutating func string(_ text: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func int(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A moment as `2026-12-03T14:05:00Z`: UTC, the second it falls in.
    mutating func date(_ date: Date) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let day = Day(ordinal: secondOfDay < 0 ? days - 1 : days)
        // Outside four-digit years since the Gregorian calendar began, Foundation's own format.
        guard (1583...9999).contains(day.year) else { return string(date.formatted(Date.ISO8601FormatStyle())) }
        let second = secondOfDay < 0 ? secondOfDay + 86_400 : secondOfDay
        separate()
        bytes.append(UInt8(ascii: "\""))
        digits(day.year / 100)
        digits(day.year % 100)
        bytes.append(UInt8(ascii: "-"))
        digits(day.month)
        bytes.append(UInt8(ascii: "-"))
        digits(day.day)
        bytes.append(UInt8(ascii: "T"))
        digits(second / 3600)
        bytes.append(UInt8(ascii: ":"))
        digits(second / 60 % 60)
        bytes.append(UInt8(ascii: ":"))
        digits(second % 60)
        bytes.append(contentsOf: [UInt8(ascii: "Z"), UInt8(ascii: "\"")])
    }

    // Optional members are left out when absent, as the generated types' `encodeIfPresent` does.

    mutating func field(_ name: StaticString, _ text: String?) {
        guard let text else { return }
        key(name)
        string(text)
    }

    mutating func field(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        int(value)
    }

    mutating func field(_ name: StaticString, _ moment: Date?) {
        guard let moment else { return }
        key(name)
        date(moment)
    }

    mutating func field<Code: RawRepresentable>(_ name: StaticString, _ code: Code?) where Code.RawValue == String {
        field(name, code?.rawValue)
    }

    mutating func field<Code: RawRepresentable>(_ name: StaticString, _ codes: [Code]) where Code.RawValue == String {
        key(name)
        openArray()
        for code in codes { string(code.rawValue) }
        closeArray()
    }

    private mutating func digits(_ value: Int) {
        bytes.append(UInt8(ascii: "0") + UInt8(value / 10))
        bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    private mutating func separate() {
        if !fresh { bytes.append(UInt8(ascii: ",")) }
        fresh = false
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
