import type net from 'node:net';
import type { Address } from './types.js';

/**
 * Listening sockets across a hot upgrade. A process records the sockets it listens on, by the address its config
 * gave (`listening`), so that it can hand them to its successor; the successor, when it is about to listen on an
 * address, asks its predecessor for that address's socket (`setSocketSource`) and listens on it instead of binding:
 * the socket never closes, so no connection is refused while the two processes change places. Only TCP addresses
 * with a fixed port are handed over (a unix socket path is unlinked by libuv when the old process closes it).
 */

/** Asks the predecessor for its socket on `key` (undefined: it has none). */
export type SocketSource = (key: string) => Promise<net.Server | undefined>;

let source: SocketSource | undefined;
const listening = new Map<string, net.Server>();

/** The key of a listen address that can be handed over (`host:port`), or undefined. */
export function handOverKey(address: Address): string | undefined {
  return 'path' in address || address.port === 0 ? undefined : `${address.host}:${address.port}`;
}

/** This process was started by a hot upgrade: listen on what `s` gives (set before anything listens). */
export function setSocketSource(s: SocketSource | undefined): void {
  source = s;
}

/** The socket this process listens on for `key`, to hand to a successor. */
export function listeningSocket(key: string): net.Server | undefined {
  return listening.get(key);
}

/** How many sockets this process could hand over. */
export function listeningCount(): number {
  return listening.size;
}

/**
 * Listen `server` on `address`: on the predecessor's socket for it when this process has one, else by binding.
 * Rejects with the listen error (EADDRINUSE, ...). The socket is recorded for a successor until `server` closes.
 */
export async function listenOn(server: net.Server, address: Address, backlog?: number): Promise<void> {
  const key = handOverKey(address);
  const given = key !== undefined && source ? await source(key) : undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (given) {
      // Node listened on the socket when it arrived: what it accepted before this server took it over goes here too
      given.on('connection', (socket: net.Socket) => server.emit('connection', socket));
      server.listen(given, done);
    } else if ('path' in address) server.listen({ path: address.path, ...(backlog ? { backlog } : {}) }, done);
    else server.listen({ port: address.port, host: address.host, ...(backlog ? { backlog } : {}) }, done);
  });
  if (key === undefined) return;
  listening.set(key, server);
  server.once('close', () => {
    if (listening.get(key) === server) listening.delete(key);
  });
}
