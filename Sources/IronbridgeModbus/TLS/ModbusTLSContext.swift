import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// An OpenSSL `SSL_CTX` set up from ``ModbusTLSSettings`` for a master (client) or a server:
/// TLS 1.2 at least (as the MODBUS/TCP Security specification asks), certificates loaded
/// at once so a missing or bad file is reported by name before any connection.
///
/// `@unchecked Sendable`: the `SSL_CTX` is only read after `init` (OpenSSL allows creating
/// connections from one context on several threads).
final class ModbusTLSContext: @unchecked Sendable {
    enum Role { case client, server }

    let context: OpaquePointer
    let role: Role
    let settings: ModbusTLSSettings

    init(_ settings: ModbusTLSSettings, role: Role) throws(ModbusError.Cause) {
        _ = Self.ignoreBrokenPipes
        ERR_clear_error()
        guard let created = SSL_CTX_new(role == .client ? TLS_client_method() : TLS_server_method()) else {
            throw .tls("cannot create a TLS context: \(Self.reason())")
        }
        context = created
        self.role = role
        self.settings = settings
        guard ironbridge_ssl_ctx_set_min_tls12(created) == 1 else { throw .tls("cannot require TLS 1.2: \(Self.reason())") }
        if let caFile = settings.caFile {
            guard SSL_CTX_load_verify_locations(created, caFile, nil) == 1 else {
                throw .tls("cannot load the CA file \(caFile): \(Self.reason())")
            }
        } else if role == .client, settings.verifyPeer {
            guard SSL_CTX_set_default_verify_paths(created) == 1 else {
                throw .tls("cannot load the system's CA certificates: \(Self.reason())")
            }
        }
        if let certFile = settings.certFile {
            guard SSL_CTX_use_certificate_chain_file(created, certFile) == 1 else {
                throw .tls("cannot load the certificate file \(certFile): \(Self.reason())")
            }
            let keyFile = settings.keyFile ?? certFile
            let loaded = Self.withOptionalCString(settings.password) { password in
                ironbridge_ssl_ctx_use_password(created, password)
                defer { ironbridge_ssl_ctx_use_password(created, nil) }
                return SSL_CTX_use_PrivateKey_file(created, keyFile, SSL_FILETYPE_PEM)
            }
            guard loaded == 1 else { throw .tls("cannot load the private key file \(keyFile): \(Self.reason())") }
            guard SSL_CTX_check_private_key(created) == 1 else {
                throw .tls("the private key \(keyFile) does not match the certificate \(certFile): \(Self.reason())")
            }
        } else if role == .server {
            throw .tls("a Modbus/TLS server needs a certificate file and its key")
        }
        switch role {
        case .client:
            SSL_CTX_set_verify(created, settings.verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        case .server:
            SSL_CTX_set_verify(created, settings.caFile == nil ? SSL_VERIFY_NONE : SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
    }

    deinit { SSL_CTX_free(context) }

    /// OpenSSL writes to its socket with write(), not send(MSG_NOSIGNAL) as libmodbus and
    /// libmosquitto do: a write to a peer that has reset (a close_notify to a server that
    /// went away) would raise SIGPIPE and end the process. Ignored once, process-wide; the
    /// write then fails with EPIPE, which is handled as a lost connection.
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// OpenSSL's reason for the last failure on this thread (its error queue, emptied).
    static func reason() -> String {
        var reasons: [String] = []
        for _ in 0..<8 {
            let code = ERR_get_error()
            guard code != 0 else { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // "error:0A000086:SSL routines::certificate verify failed" -> its reason part.
            reasons.append(text.split(separator: ":", omittingEmptySubsequences: false).last.map(String.init) ?? text)
        }
        // Each reason once; OpenSSL's generic "system lib" only when it is all there is.
        var unique: [String] = []
        for reason in reasons where !unique.contains(reason) { unique.append(reason) }
        if unique.count > 1 { unique.removeAll { $0 == "system lib" } }
        return unique.isEmpty ? "unknown OpenSSL error" : unique.joined(separator: "; ")
    }

    private static func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let text else { return body(nil) }
        return text.withCString { body($0) }
    }
}

extension ModbusError.Cause {
    /// The OpenSSL verification result of a failed handshake, e.g. "self-signed certificate".
    static func verification(_ ssl: OpaquePointer) -> String? {
        let result = SSL_get_verify_result(ssl)
        guard result != X509_V_OK else { return nil }
        return String(cString: X509_verify_cert_error_string(result))
    }
}

extension ModbusTLSSettings {
    /// Loads the certificate files as a master (`asServer` false) or a server would, and
    /// returns what failed (naming the file and OpenSSL's reason), or nil when all loads.
    public func loadError(asServer: Bool) -> String? {
        do throws(ModbusError.Cause) {
            _ = try ModbusTLSContext(self, role: asServer ? .server : .client)
            return nil
        } catch {
            if case .tls(let text) = error { return text }
            return error.description
        }
    }
}
