import Foundation

/// HSDS gives every nested record (a service area, a language, an attribute) an id of its own, a UUID. Koppel keeps
/// no such rows, so their ids are derived from the id of what they belong to and what they are: the same every time
/// the document is served, different for every owner and part. Written as RFC 9562 version 8 UUIDs (custom layout).
public enum DerivedIdentifier {
    public static func make(_ owner: UUID, _ part: String) -> UUID {
        var bytes = withUnsafeBytes(of: owner.uuid) { Array($0) }
        bytes += Array(part.utf8)
        let high = fnv1a(bytes, basis: 0xcbf2_9ce4_8422_2325)
        let low = fnv1a(bytes, basis: 0x84222325_cbf29ce4)
        var out = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            out[index] = UInt8(truncatingIfNeeded: high >> (8 * UInt64(7 - index)))
            out[8 + index] = UInt8(truncatingIfNeeded: low >> (8 * UInt64(7 - index)))
        }
        out[6] = (out[6] & 0x0f) | 0x80  // version 8
        out[8] = (out[8] & 0x3f) | 0x80  // variant 10
        return UUID(uuid: (out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7],
                           out[8], out[9], out[10], out[11], out[12], out[13], out[14], out[15]))
    }

    private static func fnv1a(_ bytes: [UInt8], basis: UInt64) -> UInt64 {
        bytes.reduce(basis) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }
}
