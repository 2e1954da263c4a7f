import type net from 'node:net';
import tls from 'node:tls';
import type { Logger } from './logger.js';
import type { ServerTlsOptions, TlsHandshakeError } from './tls.js';
import { formatAddress } from './types.js';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The first byte of a TLS handshake record (a ClientHello). */
const HANDSHAKE_RECORD = 0x16;

const ignore = (): void => {};

/**
 * The TLS handshake of one accepted socket, before it becomes a Connection. With the inspector, the first bytes
 * decide: a handshake record goes on to TLS, anything else is handed over as plaintext.
 *
 * The TLSSocket is made on the accepted socket itself, so node:tls reads its native handle (the fast path). The
 * inspector's peeked bytes are put back with `unshift` first: node:tls feeds what a socket already holds in its
 * readable buffer into OpenSSL before it starts reading the handle (`TLSSocket` `initRead`), so nothing is lost
 * and the inspector's TLS connections take the same native path as the others.
 */
export class ServerHandshake {
  readonly remote: string | undefined;
  #raw: net.Socket;
  #options: ServerTlsOptions;
  #log: Logger;
  #ready: (socket: net.Socket) => void;
  #ended: (h: ServerHandshake) => void;
  #socket: tls.TLSSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #settled = false;

  /**
   * `ready` gets the socket to build the Connection on (the TLSSocket, or the accepted socket for plaintext);
   * `ended` is called once when the handshake is over, whatever the outcome.
   */
  constructor(
    raw: net.Socket,
    options: ServerTlsOptions,
    log: Logger,
    ready: (socket: net.Socket) => void,
    ended: (h: ServerHandshake) => void,
  ) {
    this.#raw = raw;
    this.#options = options;
    this.#log = log;
    this.#ready = ready;
    this.#ended = ended;
    const { remoteAddress: host, remotePort: port } = raw;
    this.remote = host !== undefined && port !== undefined ? formatAddress({ host, port }) : undefined;
  }

  start(): void {
    const raw = this.#raw;
    // Errors of the accepted socket show as TLS errors or as 'close'; one without a listener would be thrown.
    raw.on('error', ignore);
    const ms = this.#options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.#timer = setTimeout(() => this.#fail('timeout', `no TLS handshake within ${ms} ms`), ms);
    if (this.#options.inspector) this.#inspect();
    else this.#startTls();
  }

  /** Close the socket without a report (the listener is shutting down). */
  abort(): void {
    if (!this.#settle()) return;
    this.#log.debug({ remote: this.remote }, 'TLS handshake aborted: listener closing');
    this.#destroy();
  }

  #inspect(): void {
    const raw = this.#raw;
    const onClose = () => {
      // closed before sending a byte: not known to be TLS, so no handshake failure
      if (this.#settle()) this.#destroy();
    };
    raw.once('data', (chunk: Buffer) => {
      raw.pause();
      raw.off('end', onClose).off('close', onClose);
      raw.unshift(chunk);
      if (this.#settled) return;
      if (chunk[0] === HANDSHAKE_RECORD) return this.#startTls();
      if (!this.#settle()) return;
      raw.off('error', ignore);
      this.#ready(raw);
    });
    raw.once('end', onClose).once('close', onClose);
    raw.resume();
  }

  #startTls(): void {
    const o = this.#options;
    let socket: tls.TLSSocket;
    try {
      socket = new tls.TLSSocket(this.#raw, {
        isServer: true,
        secureContext: o.contextFor(undefined),
        SNICallback: (name, cb) => {
          let context: tls.SecureContext;
          try {
            context = o.contextFor(name);
          } catch (err) {
            return cb(err instanceof Error ? err : new Error(String(err)));
          }
          cb(null, context);
        },
        requestCert: o.requestCert,
        rejectUnauthorized: o.rejectUnauthorized,
        ...(o.alpnProtocols ? { ALPNProtocols: [...o.alpnProtocols] } : {}),
      });
    } catch (err) {
      return this.#fail('internal_error', err instanceof Error ? err.message : String(err));
    }
    this.#socket = socket;
    const onError = (err: NodeJS.ErrnoException) => this.#fail(err.code ?? 'ERR_TLS', sslReason(err.message));
    const onClose = () => this.#fail('ECONNRESET', 'closed by the peer during the handshake');
    // a FIN mid-handshake ends it (node:tls would otherwise hold the socket until the handshake timeout)
    socket.on('error', onError).once('close', onClose).once('end', onClose);
    socket.once('secure', () => {
      if (this.#settled) return;
      const refusal = this.#authorize(socket);
      if (refusal) return this.#fail(refusal[0], refusal[1]);
      if (!this.#settle()) return;
      socket.off('error', onError).off('close', onClose).off('end', onClose);
      // as node:tls's server marks its sockets (node:http2 waits for 'secureConnect' while this is true)
      (socket as unknown as { secureConnecting: boolean }).secureConnecting = false;
      this.#ready(socket);
    });
  }

  /**
   * What node:tls's own server does after a handshake (its standalone TLSSocket does not): record whether the
   * client certificate verified, refuse it when that is required; then ask `verifyPeer`.
   */
  #authorize(socket: tls.TLSSocket): [reason: string, message: string] | undefined {
    const o = this.#options;
    if (o.requestCert) {
      const handle = (socket as unknown as { _handle?: { verifyError?(): (Error & { code?: string }) | null } })._handle;
      // without node:tls's verifyError the certificate counts as not verified (fail closed)
      const error: (Error & { code?: string }) | null = handle?.verifyError
        ? handle.verifyError()
        : new Error('cannot verify the client certificate');
      if (error) {
        socket.authorizationError = (error.code ?? error.message) as unknown as Error;
        if (o.rejectUnauthorized) return [error.code ?? 'ERR_TLS_CERT', `client certificate refused: ${error.message}`];
      } else {
        socket.authorized = true;
      }
    }
    if (!o.verifyPeer) return undefined;
    let reason: string | undefined;
    try {
      reason = o.verifyPeer(socket);
    } catch (err) {
      reason = `verifyPeer threw: ${err instanceof Error ? err.message : String(err)}`;
    }
    return reason === undefined ? undefined : ['refused', reason];
  }

  /** Mark the handshake over; false when it already was. */
  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#ended(this);
    return true;
  }

  #destroy(): void {
    this.#socket?.destroy();
    this.#raw.destroy();
  }

  #fail(reason: string, message: string): void {
    if (!this.#settle()) return;
    this.#destroy();
    const error: TlsHandshakeError = { remote: this.remote, reason, message };
    // with a callback, logging is the callback's (the runtime rate-limits it); else one line here
    if (!this.#options.onHandshakeError) this.#log.warn({ remote: this.remote, reason }, `TLS handshake failed: ${message}`);
    try {
      this.#options.onHandshakeError?.(error);
    } catch (err) {
      this.#log.error({ err }, 'onHandshakeError threw');
    }
  }
}

/** OpenSSL's text without its location (`...:SSL routines:ssl3_get_record:http request:../deps/...` → `http request`). */
function sslReason(message: string): string {
  return /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? message;
}
