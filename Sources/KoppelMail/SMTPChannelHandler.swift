import NIOCore

/// What the client writes to the channel.
enum SMTPRequest: Sendable {
    /// One command line; CRLF is added here.
    case command(String)
    /// STARTTLS; on its 220 reply the handler switches the connection to TLS.
    case startTLS
    /// Raw bytes, already dot-stuffed (the message after DATA).
    case payload(ByteBuffer)
}

/// Frames SMTP on the channel: bytes in → `SMTPReply`, `SMTPRequest` out → bytes.
///
/// It also performs the STARTTLS switch. The TLS handler has to be in place before the
/// next byte is read, and bytes the server sent after its 220 would be plaintext that
/// an attacker could inject (CVE-2011-0411 style), so the switch happens right here,
/// in the same event-loop turn that decoded the 220, and leftover bytes are an error.
final class SMTPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = SMTPReply
    typealias OutboundIn = SMTPRequest
    typealias OutboundOut = ByteBuffer

    private let tls: SMTPTLS
    private var framer = SMTPLineFramer()
    private var parser = SMTPReplyParser()
    private var awaitingStartTLSReply = false
    private var failed = false

    init(tls: SMTPTLS) {
        self.tls = tls
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var bytes = unwrapInboundIn(data)
        framer.append(&bytes)
        do {
            while let line = try framer.nextLine() {
                guard let reply = try parser.feed(line) else { continue }
                var switchedToTLS = false
                if awaitingStartTLSReply {
                    awaitingStartTLSReply = false
                    if reply.code == 220 {
                        try switchToTLS(context: context)
                        switchedToTLS = true
                    }
                }
                context.fireChannelRead(wrapInboundOut(reply))
                // The TLS handler now sits before us and swallows this read's
                // channelReadComplete, which the async channel needs to hand the reply over.
                if switchedToTLS { context.fireChannelReadComplete() }
            }
        } catch {
            failed = true
            context.fireErrorCaught(error)
            context.close(promise: nil)
        }
    }

    private func switchToTLS(context: ChannelHandlerContext) throws {
        guard framer.isEmpty else {
            throw SMTPError(.protocolViolation, "server sent data after its STARTTLS reply before TLS was set up")
        }
        try context.pipeline.syncOperations.addHandler(try tls.makeHandler(), position: .first)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let line: String
        switch unwrapOutboundIn(data) {
        case .payload(let bytes):
            context.write(wrapOutboundOut(bytes), promise: promise)
            return
        case .startTLS:
            awaitingStartTLSReply = true
            line = "STARTTLS"
        case .command(let command):
            // Defence in depth: callers validate input, but a CR/LF must never split a command.
            guard !command.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) else {
                promise?.fail(SMTPError(.invalidMessage, "refusing to send a command containing CR or LF"))
                return
            }
            line = command
        }
        var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line)
        buffer.writeString("\r\n")
        context.write(wrapOutboundOut(buffer), promise: promise)
    }
}
