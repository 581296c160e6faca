import NIOCore

/// Buffers received bytes and cuts them into lines at LF (a preceding CR is dropped).
/// A line longer than `maxLineLength` is an error, so a hostile or broken server cannot
/// make us buffer without limit.
struct SMTPLineFramer {
    let maxLineLength: Int
    private var buffer: ByteBuffer

    init(maxLineLength: Int = 4096) {
        self.maxLineLength = maxLineLength
        self.buffer = ByteBuffer()
    }

    /// True when no unread bytes are waiting (checked before switching to TLS).
    var isEmpty: Bool { buffer.readableBytes == 0 }

    mutating func append(_ bytes: inout ByteBuffer) {
        if buffer.readerIndex > maxLineLength { buffer.discardReadBytes() }
        buffer.writeBuffer(&bytes)
    }

    mutating func nextLine() throws(SMTPError) -> String? {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            guard buffer.readableBytes <= maxLineLength else { throw lineTooLong() }
            return nil
        }
        let length = newline - buffer.readerIndex
        guard length <= maxLineLength + 1 else { throw lineTooLong() }
        var bytes = buffer.readBytes(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        if buffer.readableBytes == 0 { buffer.clear() }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func lineTooLong() -> SMTPError {
        SMTPError(.protocolViolation, "server sent a line longer than \(maxLineLength) bytes")
    }
}
