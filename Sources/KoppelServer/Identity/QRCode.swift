import CQREncode

/// A QR code as inline SVG, so the enrolment page needs no image request and no JavaScript.
enum QRCode {
    /// The SVG of `text` (error correction M), or nil if libqrencode could not encode it.
    static func svg(for text: String, title: String) -> String? {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        let border = 4  // the quiet zone scanners need
        var path = ""
        for y in 0..<width {
            for x in 0..<width where code.pointee.data[y * width + x] & 1 == 1 {
                path += "M\(x + border) \(y + border)h1v1h-1z"
            }
        }
        let size = width + 2 * border
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(size) \(size)" width="\(size * 5)" height="\(size * 5)" \
            role="img" aria-label="\(title)" shape-rendering="crispEdges"><rect width="\(size)" height="\(size)" fill="#fff"/>\
            <path d="\(path)" fill="#000"/></svg>
            """
    }
}
