import Foundation

/// How place names are compared: people type "den haag", "Den Haag" or "DEN-HAAG", "Súdwest-Fryslân" or "Sudwest
/// Fryslan", "'s-Hertogenbosch" or "s Hertogenbosch". The database's `fold_place_name` folds region names the same way.
public enum PlaceName {
    /// Lower case, without accents; every run of characters other than letters and digits one space, trimmed.
    public static func folded(_ name: String) -> String {
        // Most names are plain ASCII, and every referral read folds a few: folding them needs no Foundation.
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return foldedASCII(name) }
        return foldedByFoundation(name)
    }

    /// The same as `foldedByFoundation` for ASCII: letters lower-cased, digits kept, anything else one space between.
    static func foldedASCII(_ name: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count)
        var pendingSpace = false
        for byte in name.utf8 {
            let lower = (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
            if (0x61...0x7A).contains(lower) || (0x30...0x39).contains(lower) {
                if pendingSpace && !bytes.isEmpty { bytes.append(0x20) }
                pendingSpace = false
                bytes.append(lower)
            } else {
                pendingSpace = true
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func foldedByFoundation(_ name: String) -> String {
        let plain = name.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: Locale(identifier: "nl_NL"))
            .lowercased()
        var result = ""
        var pendingSpace = false
        for scalar in plain.unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII {
                if pendingSpace && !result.isEmpty { result.append(" ") }
                pendingSpace = false
                result.unicodeScalars.append(scalar)
            } else {
                pendingSpace = true
            }
        }
        return result
    }

    /// Whether `input` is written as a municipality code: CBS `GM0153` (any case) or a Belgian NIS code `21004`, alone
    /// or in brackets after a name ("Bergen (53053)", as an ambiguous name's choices are offered).
    public static func code(_ input: String) -> String? {
        // Every code has ASCII digits; most input is a name, which this answers without Foundation (1% of a submission).
        guard input.utf8.contains(where: { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        var trimmed = input.trimmingCharacters(in: .whitespaces).uppercased()
        if trimmed.hasSuffix(")"), let open = trimmed.lastIndex(of: "(") {
            trimmed = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        }
        let digits = trimmed.hasPrefix("GM") ? trimmed.dropFirst(2) : Substring(trimmed)
        let expected = trimmed.hasPrefix("GM") ? 4 : 5
        guard digits.count == expected, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return trimmed
    }

    /// The names among `candidates` closest to `input`, best first: those that start with it, then those that
    /// contain it, then by edit distance of the folded forms (at most a third of the input's length).
    public static func closest(to input: String, among candidates: [String], limit: Int = 3) -> [String] {
        let wanted = folded(input)
        guard !wanted.isEmpty else { return [] }
        let tolerance = max(2, wanted.count / 3)
        var scored: [(score: Int, name: String)] = []
        for name in candidates {
            let candidate = folded(name)
            let score: Int
            if candidate.hasPrefix(wanted) { score = 0 }
            else if candidate.contains(wanted) { score = 1 }
            else {
                let distance = editDistance(wanted, candidate, atMost: tolerance)
                guard distance <= tolerance else { continue }
                score = 2 + distance
            }
            scored.append((score, name))
        }
        var seen: Set<String> = []
        return scored.sorted { ($0.score, $0.name) < ($1.score, $1.name) }.map(\.name).filter { seen.insert($0).inserted }.prefix(limit).map { $0 }
    }

    /// Levenshtein distance, giving up (returning `atMost + 1`) once every path is longer than `atMost`.
    static func editDistance(_ a: String, _ b: String, atMost: Int) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if abs(a.count - b.count) > atMost { return atMost + 1 }
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            if current.min()! > atMost { return atMost + 1 }
            previous = current
        }
        return previous[b.count]
    }
}
