import net from 'node:net';
import type { Logger, ServerHandle, SocketSource } from '@mosn/proxy';

/** Node's own way to bind a server socket without listening (node:cluster's primary uses it for shared handles). */
type CreateServerHandle = (address: string, port: number, addressType: number, fd?: number, flags?: number) => ServerHandle | number;
const createServerHandle = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;

/**
 * The listening sockets of a mosn with workers, owned by the primary: each is bound here and never listened on
 * here (the primary accepts no connection), handed to every worker that listens on its address, which listens on
 * its copy; the kernel deals the connections out among the workers (node:cluster's SCHED_NONE, without cluster).
 * As the sockets stay bound here while workers restart, connections made meanwhile wait in the accept queue.
 * A hot upgrade hands them to the new primary (`socketOf`). Keys are `shareKey`'s: `host:port`, `unix:<path>`.
 */
export class SocketStore {
  readonly #handles = new Map<string, ServerHandle>();
  /** Keys being fetched or bound: the workers ask for the same keys at about the same time. */
  readonly #pending = new Map<string, Promise<ServerHandle | undefined>>();
  readonly #log: Logger;
  /** A hot upgrade's predecessor: asked first, so that its sockets go on. */
  #predecessor: SocketSource | undefined;

  constructor(logger: Logger, predecessor?: SocketSource) {
    this.#log = logger;
    this.#predecessor = predecessor;
  }

  /** The predecessor is gone (this process serves): bind what is new from now on. */
  stopInheriting(): void {
    this.#predecessor = undefined;
  }

  /** The socket of `key` (bound now, or taken from the predecessor); undefined when it cannot be bound here (the worker then binds it and reports why not). */
  get(key: string): Promise<ServerHandle | undefined> {
    const have = this.#handles.get(key);
    if (have) return Promise.resolve(have);
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#fetch(key).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #fetch(key: string): Promise<ServerHandle | undefined> {
    const inherited = await this.#predecessor?.(key);
    // from a primary: a bound handle; a predecessor of one process sends its listening server, which cannot be shared
    const handle = inherited !== undefined && !(inherited instanceof net.Server) ? inherited : bind(key);
    if (typeof handle === 'number') {
      this.#log.warn({ key, errno: handle }, `cannot bind ${key} for the workers; each worker binds it itself`);
      return undefined;
    }
    this.#handles.set(key, handle);
    return handle;
  }

  /** The socket of `key` if it is held here (for a hot upgrade's successor). */
  peek(key: string): ServerHandle | undefined {
    return this.#handles.get(key);
  }

  /** Close the sockets no worker listens on any more (a reload removed or moved their listener). */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const [key, handle] of this.#handles) {
      if (keys.has(key)) continue;
      this.#handles.delete(key);
      close(handle);
      this.#log.info({ key }, 'no worker listens on this address any more: socket closed');
    }
  }

  closeAll(): void {
    for (const handle of this.#handles.values()) close(handle);
    this.#handles.clear();
  }
}

/** Bind `key`'s address (not listening); a negative errno when it cannot be. */
function bind(key: string): ServerHandle | number {
  if (key.startsWith('unix:')) return createServerHandle(key.slice('unix:'.length), -1, -1);
  const colon = key.lastIndexOf(':');
  const host = key.slice(0, colon);
  const type = net.isIP(host);
  // a host name: the workers bind it themselves (a shared socket needs an address)
  if (type === 0) return -22;
  const handle = createServerHandle(host, Number(key.slice(colon + 1)), type);
  if (typeof handle === 'number') return handle;
  // libuv keeps a bind's EADDRINUSE for the listen (which happens in the workers, on a copy that does not have it:
  // it would listen on a port of the kernel's choosing); getsockname answers it now
  const err = (handle as { getsockname(out: object): number }).getsockname({});
  if (err !== 0) {
    close(handle);
    return err;
  }
  return handle;
}

function close(handle: ServerHandle): void {
  (handle as { close?: () => void }).close?.();
}
