import Foundation

/// Independent decoders, so rendering tests check round trips rather than our own encoder's output.
enum Decode {
    static func quotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        let lines = text.components(separatedBy: "\r\n")
        for (index, line) in lines.enumerated() {
            var encoded = Array(line.utf8)
            let soft = encoded.last == UInt8(ascii: "=")
            if soft { encoded.removeLast() }
            var i = 0
            while i < encoded.count {
                if encoded[i] == UInt8(ascii: "="), i + 2 < encoded.count,
                    let byte = UInt8(String(decoding: encoded[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
                {
                    bytes.append(byte)
                    i += 3
                } else {
                    bytes.append(encoded[i])
                    i += 1
                }
            }
            if !soft && index < lines.count - 1 { bytes += [13, 10] }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes a header value made of UTF-8 B encoded-words (whitespace between them ignored).
    static func encodedWords(_ value: String) -> String? {
        var bytes: [UInt8] = []
        for word in unfold(value).split(separator: " ") {
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?="),
                let data = Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))
            else { return nil }
            bytes += data
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func unfold(_ value: String) -> String {
        value.replacingOccurrences(of: "\r\n ", with: " ")
    }
}

extension String {
    /// Header block (before the first empty line) and body.
    var headerAndBody: (headers: String, body: String) {
        let range = range(of: "\r\n\r\n")!
        return (String(self[..<range.lowerBound]), String(self[range.upperBound...]))
    }

    /// The unfolded value of the first header with this name.
    func header(_ name: String) -> String? {
        let unfolded = headerAndBody.headers.replacingOccurrences(of: "\r\n ", with: " ")
        return unfolded.components(separatedBy: "\r\n").first { $0.hasPrefix(name + ": ") }
            .map { String($0.dropFirst(name.count + 2)) }
    }
}
