import Logging
import NIOCore
import NIOPosix

/// Sends mail through one SMTP server, one connection per message.
///
/// Errors are `SMTPError` (see `isPermanent`), or `CancellationError` when the calling
/// task is cancelled. The channel is closed on every path.
public struct SMTPClient: Sendable {
    public let settings: SMTPSettings
    private let group: any EventLoopGroup
    private let logger: Logger
    private let tls: SMTPTLS

    /// Reads the trust roots now, so a bad CA file fails at startup rather than at the first send.
    public init(
        settings: SMTPSettings,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) throws(SMTPSettingsError) {
        self.settings = settings
        self.group = eventLoopGroup
        self.tls = try SMTPTLS(settings: settings)
        var logger = logger
        logger[metadataKey: "smtp.server"] = "\(settings.host):\(settings.port)"
        self.logger = logger
    }

    /// Delivers `message`: envelope sender is `message.from`, recipients are all of `message.to`.
    public func send(_ message: MailMessage) async throws {
        var logger = self.logger
        logger[metadataKey: "smtp.message-id"] = "\(message.messageID)"
        let data = ByteBuffer(bytes: SMTPDataEncoding.dotStuffed(message.rendered()))

        let channel = try await connect()
        logger.debug("SMTP connected")
        try await withTaskCancellationHandler {
            try await channel.executeThenClose { inbound, outbound in
                let connection = SMTPConnection(
                    inbound: inbound,
                    outbound: outbound,
                    channel: channel.channel,
                    timeouts: settings.timeouts,
                    logger: logger
                )
                var session = SMTPSession(
                    connection: connection,
                    settings: settings,
                    logger: logger,
                    tlsActive: settings.security == .implicitTLS
                )
                try await session.deliver(
                    from: message.from.address,
                    to: message.to.map(\.address),
                    data: data
                )
            }
        } onCancel: {
            channel.channel.close(promise: nil)
        }
    }

    private func connect() async throws -> NIOAsyncChannel<SMTPReply, SMTPRequest> {
        let tls = self.tls
        let implicitTLS = settings.security == .implicitTLS
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(settings.timeouts.connect))
                .connect(host: settings.host, port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        if implicitTLS { try pipeline.addHandler(try tls.makeHandler()) }
                        try pipeline.addHandler(SMTPChannelHandler(tls: tls))
                        return try NIOAsyncChannel<SMTPReply, SMTPRequest>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw SMTPError(.connection, "cannot connect to \(settings.host):\(settings.port): \(error)")
        }
    }
}
