import net from 'node:net';
import type { Address } from './types.js';

/**
 * Listening sockets across a hot upgrade. A process records the sockets it listens on, by the address its config
 * gave (`listening`), so that it can hand them to its successor; the successor, when it is about to listen on an
 * address, asks its predecessor for that address's socket (`setSocketSource`) and listens on it instead of binding:
 * the socket never closes, so no connection is refused while the two processes change places. Only TCP addresses
 * with a fixed port are handed over (a unix socket path is unlinked by libuv when the old process closes it).
 */

/**
 * A listening socket from another process: a server that listens in this process (what a hot-upgrade predecessor
 * sends), or a bound socket's handle that nothing here listens on yet (what the primary of `--workers` sends: it
 * binds but never accepts). Either way `listenOn` listens on it.
 */
export type InheritedSocket = net.Server | ServerHandle;

/** A bound (not yet listening) TCP or unix-socket handle received over IPC; opaque here. */
export type ServerHandle = object & { readonly __serverHandle?: never };

/** Asks the process that holds the sockets (a hot-upgrade predecessor, the primary of workers) for `key`'s. */
export type SocketSource = (key: string) => Promise<InheritedSocket | undefined>;

let source: SocketSource | undefined;
const listening = new Map<string, net.Server>();

/** The key of a listen address that can be handed over (`host:port`), or undefined. */
export function handOverKey(address: Address): string | undefined {
  return 'path' in address || address.port === 0 ? undefined : `${address.host}:${address.port}`;
}

/**
 * The key a socket is shared by between the processes of one mosn (`--workers`): `handOverKey`'s, and `unix:<path>`
 * for a unix socket (a primary that binds one keeps it, so the path stays; a hot upgrade does not hand these over).
 */
export function shareKey(address: Address): string | undefined {
  return 'path' in address ? `unix:${address.path}` : handOverKey(address);
}

/** This process was started by a hot upgrade or as a worker: listen on what `s` gives (set before anything listens). */
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
  const shared = shareKey(address);
  const given = shared !== undefined && source ? await source(shared) : undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      // a bound handle whose bind had failed (its error kept for a listen elsewhere) listens on any port: refused
      const a = server.address();
      if (given && !(given instanceof net.Server) && 'port' in address && address.port !== 0 && (typeof a !== 'object' || a?.port !== address.port)) {
        server.close();
        reject(Object.assign(new Error(`listen EADDRINUSE: ${address.host}:${address.port}`), { code: 'EADDRINUSE' }));
        return;
      }
      resolve();
    };
    if (given && !(given instanceof net.Server)) {
      // a bound socket no process listens on for itself: each worker listens on its copy, the kernel deals
      // connections out among them
      server.listen(given, backlog ?? 511, done);
    } else if (given) {
      // Node listened on the socket when it arrived: what it accepted before this server took it over goes here too
      given.on('connection', (socket: net.Socket) => server.emit('connection', socket));
      server.listen(given, done);
    } else if ('path' in address) server.listen({ path: address.path, ...(backlog ? { backlog } : {}) }, done);
    else server.listen({ port: address.port, host: address.host, ...(backlog ? { backlog } : {}) }, done);
  });
  const key = handOverKey(address);
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
