import type tls from 'node:tls';

/**
 * TLS in the NET/IO layer: a listener terminates it, a dial originates it; the Connection above reads and writes
 * plaintext either way, so protocols do not know TLS is there. This layer takes node:tls objects and plain
 * switches; what MOSN's `tls_context` keys mean is the runtime's business (it builds these options).
 */

/** How a listener terminates TLS. */
export interface ServerTlsOptions {
  /**
   * The secure context for a ClientHello's SNI name (undefined when the client sent none). Called per handshake,
   * so a context replaced by the runtime (certificate rotation) is used by the next handshake.
   */
  contextFor(servername: string | undefined): tls.SecureContext;
  /** Ask the client for a certificate. */
  requestCert: boolean;
  /** Refuse a handshake whose client certificate is missing or does not verify (with `requestCert`). */
  rejectUnauthorized: boolean;
  /**
   * After the handshake, before any byte is read: accept this client (its certificate as node:tls reports it)?
   * A string is the reason to refuse it (the connection is closed, counted and logged). For client-auth modes
   * node:tls has no switch for (a certificate required but not verified, verified only if given).
   */
  verifyPeer?(socket: tls.TLSSocket): string | undefined;
  /** ALPN protocols the listener accepts, in preference order (`h2`, `http/1.1`); absent: no ALPN. */
  alpnProtocols?: readonly string[];
  /** Serve plaintext too: a connection whose first byte is not a TLS handshake record (0x16) goes on without TLS. */
  inspector?: boolean;
  /** A client that has not finished its handshake this long after connecting is closed (default 10 s). */
  handshakeTimeoutMs?: number;
  /** A handshake failed or timed out (the connection is already closed): for counters and the log (when given, the listener does not log it itself). */
  onHandshakeError?(error: TlsHandshakeError): void;
}

/** Why a handshake did not complete. */
export interface TlsHandshakeError {
  /** The peer's address (`ip:port`), when known. */
  readonly remote: string | undefined;
  /** `timeout`, `refused` (verifyPeer said no), or OpenSSL's reason (`ERR_SSL_...`, `ECONNRESET`, ...). */
  readonly reason: string;
  readonly message: string;
}

/** How a dial originates TLS. */
export interface ClientTlsOptions {
  secureContext: tls.SecureContext;
  /** SNI sent, and (unless `rejectUnauthorized` is false) the name the server's certificate must carry. */
  servername?: string;
  /** Verify the server's certificate (false: MOSN's `insecure_skip`). */
  rejectUnauthorized: boolean;
  /** ALPN protocols offered (`h2` for an HTTP/2 pool). */
  alpnProtocols?: readonly string[];
  /** Where sessions are kept between dials to one host, so a reconnect resumes instead of a full handshake. */
  sessions?: TlsSessionCache;
}

/** The last TLS session of each destination (a pool keeps one per host). */
export interface TlsSessionCache {
  get(key: string): Buffer | undefined;
  set(key: string, session: Buffer): void;
}

/**
 * What a Connection over TLS tells the layers above (`connection.tls`; undefined on a plaintext connection, and on a
 * dial until it is connected). Taken when the handshake is done, so it still answers after the close.
 */
export interface ConnectionTls {
  /** The protocol ALPN chose (`h2`, `http/1.1`), or undefined when none was negotiated. */
  readonly alpnProtocol: string | undefined;
  /** The SNI name: the one the client sent (listener side), the one this side sent or checked (dial side). */
  readonly servername: string | undefined;
  /** Whether the peer's certificate verified (listener side: only when a certificate was requested). */
  readonly authorized: boolean;
  /** The TLS version (`TLSv1.3`). */
  readonly protocol: string | undefined;
  /** The peer's certificate as node:tls reports it; undefined when it sent none. */
  peerCertificate(): tls.PeerCertificate | undefined;
  /** Whether the handshake resumed an earlier session (a ticket from the session cache). */
  isSessionReused(): boolean;
}
