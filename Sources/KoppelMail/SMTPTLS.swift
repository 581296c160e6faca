import NIOCore
import NIOSSL

/// TLS for one server: the shared context plus the name to verify the certificate against.
struct SMTPTLS: Sendable {
    let context: NIOSSLContext
    let host: String

    init(settings: SMTPSettings) throws(SMTPSettingsError) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        configuration.minimumTLSVersion = .tlsv12
        // Do not hang on close if the server never answers our close_notify.
        configuration.shutdownTimeout = .seconds(2)
        if case .pemFile(let path) = settings.trustRoots {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
            } catch {
                throw SMTPSettingsError("cannot read CA certificates from PEM file '\(path)': \(error)")
            }
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw SMTPSettingsError("cannot set up TLS: \(error)")
        }
        host = settings.host
    }

    /// A handler verifying the certificate against `host`. SNI cannot carry an IP
    /// address; for one, NIOSSL checks the certificate against the peer's address instead.
    func makeHandler() throws -> NIOSSLClientHandler {
        let isIPAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isIPAddress ? nil : host)
    }
}
