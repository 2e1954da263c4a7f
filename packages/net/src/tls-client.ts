import net from 'node:net';
import tls from 'node:tls';
import type { ClientTlsOptions, ConnectionTls } from './tls.js';
import { formatAddress, type Address } from './types.js';

/**
 * Open a TLS client socket to `address`. SNI carries `servername` unless it is an IP address (TLS forbids that;
 * node warns), but the server's certificate is still checked against it. The session cache is read before and
 * written after each handshake, under the address and the server name.
 */
export function connectTls(address: Address, options: ClientTlsOptions): tls.TLSSocket {
  const name = options.servername !== '' ? options.servername : undefined;
  const sni = name !== undefined && net.isIP(name) === 0 ? name : undefined;
  const sessions = options.sessions;
  const key = `${formatAddress(address)} ${name ?? ''}`;
  const session = sessions?.get(key);
  // allowHalfOpen reaches the socket (tls.connect passes it on; its typings omit it): tcp_proxy needs half-close
  const connectOptions: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
    ...('path' in address ? { path: address.path } : { host: address.host, port: address.port }),
    allowHalfOpen: true,
    secureContext: options.secureContext,
    rejectUnauthorized: options.rejectUnauthorized,
    ...(sni !== undefined ? { servername: sni } : {}),
    ...(name !== undefined && sni === undefined
      ? { checkServerIdentity: (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(name, cert) }
      : {}),
    ...(options.alpnProtocols ? { ALPNProtocols: [...options.alpnProtocols] } : {}),
    ...(session ? { session } : {}),
  };
  const socket = tls.connect(connectOptions);
  // TLS 1.3 tickets come after the handshake, maybe several: the last one is kept.
  if (sessions) socket.on('session', (s: Buffer) => sessions.set(key, s));
  return socket;
}

/**
 * The `connection.tls` view of a TLS socket whose handshake is done, taken now: node:tls forgets the certificate
 * and the version once the socket is closed, and access logs ask at the end. `servername` defaults to the SNI name
 * the socket saw.
 */
export function connectionTls(socket: tls.TLSSocket, servername?: string): ConnectionTls {
  const cert = socket.getPeerCertificate() as tls.PeerCertificate | null | undefined;
  const peer = cert && Object.keys(cert).length > 0 ? cert : undefined;
  const reused = socket.isSessionReused();
  return Object.freeze({
    alpnProtocol: socket.alpnProtocol || undefined,
    servername: servername ?? (socket.servername || undefined),
    authorized: socket.authorized,
    protocol: socket.getProtocol() ?? undefined,
    peerCertificate: () => peer,
    isSessionReused: () => reused,
  });
}
