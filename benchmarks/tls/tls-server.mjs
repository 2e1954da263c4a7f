#!/usr/bin/env node
// A bare node:tls server for the handshake part of run.sh: the floor of what a Node process pays per full
// handshake (accept, OpenSSL, the TLSSocket), with the secure-context settings mosn's listener uses by default
// (session tickets off). Each connection is left to the client to close; nothing is read or written.
//   node tls-server.mjs <port> <cert.pem> <key.pem>
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

const [port, cert, key] = process.argv.slice(2);
const server = tls.createServer(
  { cert: readFileSync(cert), key: readFileSync(key), secureOptions: constants.SSL_OP_NO_TICKET },
  (socket) => socket.on('error', () => {}),
);
server.on('tlsClientError', () => {});
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
