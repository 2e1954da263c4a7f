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

/** Gives an open connection's socket to the successor: false when it could not be sent (the socket is then closed). */
export type ConnectionTaker = (key: string, socket: net.Socket) => boolean;

let taker: ConnectionTaker | undefined;
const adopters = new Map<string, (socket: net.Socket) => void>();

/** The predecessor side, once the successor serves: draining connections that can go are given to it, open. */
export function setConnectionTaker(t: ConnectionTaker | undefined): void {
  taker = t;
}

export function connectionTaker(): ConnectionTaker | undefined {
  return taker;
}

/** The successor side: a listener on `key` takes the connections its predecessor gives it (until it stops). */
export function setAdopter(key: string, adopt: (socket: net.Socket) => void): void {
  adopters.set(key, adopt);
}

/** The listener that set `adopt` stopped (another one may have taken the key since). */
export function removeAdopter(key: string, adopt: (socket: net.Socket) => void): void {
  if (adopters.get(key) === adopt) adopters.delete(key);
}

/** A connection given by the predecessor, to the listener on its address; false when none listens there any more. */
export function adoptConnection(key: string, socket: net.Socket): boolean {
  const adopt = adopters.get(key);
  if (!adopt) return false;
  adopt(socket);
  return true;
}
