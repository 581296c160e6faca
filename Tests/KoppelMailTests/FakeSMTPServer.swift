import NIOCore
import NIOPosix
import Synchronization

@testable import KoppelMail

/// A scripted plaintext SMTP server on 127.0.0.1 for protocol tests (no TLS: the
/// TLS paths are covered end to end against aiosmtpd).
final class FakeSMTPServer: Sendable {
    struct Script: Sendable {
        var greeting = "220 fake.test ESMTP"
        var ehlo = "250-fake.test\r\n250-SIZE 1000000\r\n250 AUTH PLAIN LOGIN"
        /// Reply by upper-cased verb ("." is the end of data); "" means never answer.
        var replies: [String: String] = [:]
        /// Sent right after the reply to STARTTLS, in the same write.
        var injectAfterStartTLS = ""

        func reply(to verb: String) -> String? {
            if let custom = replies[verb] { return custom.isEmpty ? nil : custom }
            switch verb {
            case "EHLO": return ehlo
            case "HELO": return "250 fake.test"
            case "AUTH": return "235 2.7.0 Authentication successful"
            case "MAIL", "RCPT": return "250 2.1.0 OK"
            case "DATA": return "354 End data with <CR><LF>.<CR><LF>"
            case ".": return "250 2.0.0 queued as 42"
            case "QUIT": return "221 2.0.0 bye"
            case "STARTTLS": return "220 2.0.0 Ready to start TLS"
            default: return "500 5.5.2 unknown command"
            }
        }
    }

    /// Command lines and the raw (still dot-stuffed) DATA payloads received.
    struct Transcript: Sendable {
        var commands: [String] = []
        var payloads: [String] = []
    }

    private let channel: any Channel
    private let log: Log

    var port: Int { channel.localAddress!.port! }
    var transcript: Transcript { log.state.withLock { $0 } }

    private init(channel: any Channel, log: Log) {
        self.channel = channel
        self.log = log
    }

    static func start(_ script: Script = Script()) async throws -> FakeSMTPServer {
        let log = Log()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(script: script, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return FakeSMTPServer(channel: channel, log: log)
    }

    func stop() async throws {
        try await channel.close()
    }

    private final class Log: Sendable {
        let state = Mutex(Transcript())
        func record(_ change: (inout Transcript) -> Void) { state.withLock { change(&$0) } }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        enum Mode { case command, data, authUser, authPassword }

        let script: Script
        let log: Log
        var framer = SMTPLineFramer(maxLineLength: 1_000_000)
        var mode = Mode.command
        var payload = ""

        init(script: Script, log: Log) {
            self.script = script
            self.log = log
        }

        func channelActive(context: ChannelHandlerContext) {
            send(script.greeting, context: context)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            framer.append(&bytes)
            while let line = try? framer.nextLine() { handle(line, context: context) }
        }

        private func handle(_ line: String, context: ChannelHandlerContext) {
            switch mode {
            case .data:
                guard line == "." else {
                    payload += line + "\r\n"
                    return
                }
                let received = payload
                log.record { $0.payloads.append(received) }
                (mode, payload) = (.command, "")
                send(script.reply(to: "."), context: context)
            case .authUser:
                log.record { $0.commands.append(line) }
                mode = .authPassword
                send("334 UGFzc3dvcmQ6", context: context)
            case .authPassword:
                log.record { $0.commands.append(line) }
                mode = .command
                send(script.reply(to: "AUTH"), context: context)
            case .command:
                log.record { $0.commands.append(line) }
                let verb = line.split(separator: " ").first.map { $0.uppercased() } ?? ""
                if line.uppercased() == "AUTH LOGIN" && script.replies["AUTH"] == nil {
                    mode = .authUser
                    send("334 VXNlcm5hbWU6", context: context)
                    return
                }
                let reply = script.reply(to: verb)
                if verb == "DATA" && reply?.hasPrefix("354") == true { mode = .data }
                if verb == "STARTTLS" && !script.injectAfterStartTLS.isEmpty {
                    send((reply ?? "") + "\r\n" + script.injectAfterStartTLS, context: context)
                    return
                }
                send(reply, context: context)
                if verb == "QUIT" { context.close(promise: nil) }
            }
        }

        private func send(_ reply: String?, context: ChannelHandlerContext) {
            guard let reply else { return }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply + "\r\n")), promise: nil)
        }
    }
}
