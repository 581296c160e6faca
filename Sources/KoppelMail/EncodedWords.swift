import Foundation

/// RFC 2047 encoded-words for non-ASCII header text.
///
/// We always use UTF-8 with B (base64) encoding: unlike Q it needs no special cases for
/// the characters allowed in a phrase. Words are cut at Unicode scalar boundaries, never
/// inside a UTF-8 sequence, and decoders join adjacent encoded-words without the space
/// between them, so the original text comes back exactly.
enum EncodedWords {
    /// 42 bytes → 56 base64 characters → a 68-character word: under the 75-character
    /// limit, and "Subject: " plus one word still fits a 78-character line.
    static let maxBytesPerWord = 42

    static func encode(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > maxBytesPerWord {
                words.append(word(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(word(chunk)) }
        return words
    }

    private static func word(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }

    /// Text that can go into a header as it is: printable ASCII that a decoder
    /// will not mistake for an encoded-word.
    static func isPlain(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } && !text.contains("=?")
    }

    /// Tokens for an unstructured header such as Subject. Plain text with single spaces
    /// is folded at its spaces and stays readable; anything else becomes encoded-words.
    static func unstructuredTokens(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        let foldable = isPlain(text) && words.allSatisfy { !$0.isEmpty && $0.utf8.count <= 60 }
        return foldable ? words.map(String.init) : encode(text)
    }
}
