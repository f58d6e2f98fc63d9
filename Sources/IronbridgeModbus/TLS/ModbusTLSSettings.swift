/// TLS settings of a Modbus/TLS master connection or of a Modbus/TLS server.
///
/// Master: the server's certificate is verified by default, against `caFile` or, without
/// one, the system's trust store, and must name the host connected to (IP or DNS name);
/// `certFile` / `keyFile` present a client certificate. Server: `certFile` and `keyFile`
/// are required; with `caFile` every client must present a certificate signed by it.
public struct ModbusTLSSettings: Sendable, Hashable {
    /// PEM file of the CA certificates the peer's certificate must chain to.
    public var caFile: String?
    /// PEM certificate (chain) presented to the peer.
    public var certFile: String?
    /// PEM private key of `certFile`; nil: the key is in `certFile`.
    public var keyFile: String?
    /// Password of an encrypted `keyFile`.
    public var password: String?
    /// Master only: false skips verifying the server's certificate (the connection is
    /// encrypted but anyone can pose as the server).
    public var verifyPeer: Bool
    /// Master only: the name the server's certificate must carry (and SNI), when it is not the
    /// host connected to (e.g. connecting by IP address to a server whose certificate names it).
    public var serverHostname: String?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, password: String? = nil, verifyPeer: Bool = true,
                serverHostname: String? = nil) {
        self.serverHostname = serverHostname
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.password = password
        self.verifyPeer = verifyPeer
    }
}
