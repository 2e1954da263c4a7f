import zookeeper from 'node-zookeeper-client';
import type { Client, Event } from 'node-zookeeper-client';

/** A logger-shaped object (pino's child loggers fit). */
export interface RegistryLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface ZkSessionOptions {
  /** ZooKeeper's connection string: `host:port[,host:port...][/chroot]`. */
  readonly address: string;
  /** The session timeout asked for (the server clamps it into its min/max); default 30 s. */
  readonly sessionTimeoutMs?: number;
  /** A client that stays disconnected this long is closed and made again (a new session); default 10 s. */
  readonly watchdogMs?: number;
  readonly logger?: RegistryLogger;
  /** Authentication sent on each connection (`{ scheme: 'digest', data: 'user:password' }`). */
  readonly auth?: { readonly scheme: string; readonly data: string };
  /** Counted events: `connected`, `disconnected`, `expired`, `recreated`, `error`. */
  readonly count?: (event: 'connected' | 'disconnected' | 'expired' | 'recreated' | 'error') => void;
}

const NO_NODE = -101;
const NODE_EXISTS = -110;

const silent: RegistryLogger = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * One ZooKeeper session for one registry address, kept alive for as long as it is used:
 *
 * - **watches**: `watchChildren(path, fn)` calls `fn` with the whole list of children at the start and after each
 *   change (a missing path is an empty list, followed until it is made); a client made again reads every watched
 *   path again. While the registry is unreachable nothing is called: users keep what they had.
 * - **own ephemeral nodes**: `register(path)` makes an ephemeral node (and its parents) and remembers it: it is made
 *   again after a session expiry and whenever a new client connects. `unregister(path)` removes it.
 * - **watchdog**: node-zookeeper-client sometimes never reconnects after a ZooKeeper restart, and an expired session
 *   is over for good; a client that stays disconnected for `watchdogMs`, or whose session expired, is closed and
 *   replaced by a new one (a new session).
 *
 * `close()` closes the session, so ZooKeeper removes its ephemeral nodes at once.
 */
export class ZkSession {
  readonly address: string;
  readonly #sessionTimeoutMs: number;
  readonly #watchdogMs: number;
  readonly #log: RegistryLogger;
  readonly #count: NonNullable<ZkSessionOptions['count']>;
  readonly #auth: ZkSessionOptions['auth'];
  #client: Client | undefined;
  #connected = false;
  #disconnectedSince = Date.now();
  #watchdog: NodeJS.Timeout | undefined;
  #closed = false;
  /** Watched paths: each with its listeners and its single zookeeper watcher (one function per path: not piled up). */
  readonly #watches = new Map<string, { listeners: Set<(children: string[]) => void>; last: string[] | undefined }>();
  /** The one zookeeper watcher function of each watched path (the library keeps a function once per path). */
  readonly #watchers = new Map<string, (e: Event) => void>();
  /** Own ephemeral nodes: path → data. */
  readonly #ephemerals = new Map<string, Buffer>();

  constructor(options: ZkSessionOptions) {
    this.address = options.address;
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000;
    this.#watchdogMs = options.watchdogMs ?? 10_000;
    this.#log = options.logger ?? silent;
    this.#count = options.count ?? (() => {});
    this.#auth = options.auth;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Connect (in the background: watches and registrations wait for the connection). */
  start(): void {
    if (this.#client || this.#closed) return;
    this.#newClient();
    this.#watchdog = setInterval(() => this.#checkAlive(), Math.max(100, Math.min(1000, this.#watchdogMs / 4)));
    this.#watchdog.unref();
  }

  /** Resolves once connected, or rejects after `ms`. */
  async ready(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!this.#connected) {
      if (this.#closed) throw new Error('zookeeper session closed');
      if (Date.now() > end) throw new Error(`zookeeper ${this.address}: not connected within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Follow the children of `path`: `fn` gets the full list (names as stored: URL-encoded for provider nodes) now
   * (once connected) and after each change. Returns the function that stops following.
   */
  watchChildren(path: string, fn: (children: string[]) => void): () => void {
    let w = this.#watches.get(path);
    if (!w) {
      w = { listeners: new Set(), last: undefined };
      this.#watches.set(path, w);
      w.listeners.add(fn);
      if (this.#connected) this.#read(path);
    } else {
      w.listeners.add(fn);
      const last = w.last;
      if (last) queueMicrotask(() => fn([...last]));
    }
    return () => {
      const e = this.#watches.get(path);
      if (!e) return;
      e.listeners.delete(fn);
      if (e.listeners.size > 0) return;
      // the zookeeper watch may still fire once: its watcher then finds no entry and reads nothing
      this.#watches.delete(path);
      this.#watchers.delete(path);
    };
  }

  /** The last list read for a watched path. */
  children(path: string): readonly string[] | undefined {
    return this.#watches.get(path)?.last;
  }

  /** Make an ephemeral node at `path` (parents made as persistent nodes), kept through session expiries. */
  async register(path: string, data: Buffer = Buffer.alloc(0)): Promise<void> {
    this.#ephemerals.set(path, data);
    if (this.#connected) await this.#create(path, data);
  }

  /** Remove an ephemeral node made by `register`. */
  async unregister(path: string): Promise<void> {
    const had = this.#ephemerals.delete(path);
    const client = this.#client;
    if (!had || !client || !this.#connected) return;
    await new Promise<void>((resolve, reject) =>
      client.remove(path, (err) => (err && errorCode(err) !== NO_NODE ? reject(err as Error) : resolve())),
    );
  }

  /** The own ephemeral nodes (paths). */
  registered(): string[] {
    return [...this.#ephemerals.keys()];
  }

  /** Close the session (ZooKeeper removes its ephemeral nodes) and stop every watch. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#watchdog);
    this.#watches.clear();
    closeQuietly(this.#client);
    this.#client = undefined;
    this.#connected = false;
  }

  #newClient(): void {
    const client = zookeeper.createClient(this.address, { sessionTimeout: this.#sessionTimeoutMs, spinDelay: 200, retries: 0 });
    harden(client, (e) => this.#failed(e, 'registry: unreadable data from zookeeper; reconnecting'));
    this.#client = client;
    this.#disconnectedSince = Date.now();
    const mine = () => this.#client === client && !this.#closed;
    client.on('connected', () => {
      if (!mine()) return;
      this.#connected = true;
      this.#count('connected');
      this.#log.info({ registry: this.address, sessionTimeoutMs: client.getSessionTimeout() }, 'registry: connected to zookeeper');
      // After a reconnect (same session) the library sets its watches again; read anyway: what changed meanwhile.
      for (const path of this.#watches.keys()) this.#read(path);
      for (const [path, data] of this.#ephemerals) this.#create(path, data).catch((e: unknown) => this.#failed(e, `registry: could not create ${path}`));
    });
    client.on('disconnected', () => {
      if (!mine()) return;
      this.#connected = false;
      this.#disconnectedSince = Date.now();
      this.#count('disconnected');
      this.#log.warn({ registry: this.address }, 'registry: disconnected from zookeeper; hosts stay as they were');
    });
    client.on('expired', () => {
      if (!mine()) return;
      this.#connected = false;
      this.#count('expired');
      this.#log.warn({ registry: this.address }, 'registry: zookeeper session expired; a new session is made');
      this.#recreate();
    });
    if (this.#auth) client.addAuthInfo(this.#auth.scheme, Buffer.from(this.#auth.data));
    client.connect();
  }

  #recreate(): void {
    const old = this.#client;
    this.#client = undefined;
    closeQuietly(old);
    this.#count('recreated');
    this.#newClient();
  }

  #checkAlive(): void {
    if (this.#closed || this.#connected) return;
    if (Date.now() - this.#disconnectedSince < this.#watchdogMs) return;
    this.#log.warn({ registry: this.address, disconnectedMs: Date.now() - this.#disconnectedSince }, 'registry: zookeeper client still disconnected; making a new one');
    this.#recreate();
  }

  /** Read the children of `path` and set the watch again (a missing path: an existence watch, and no children). */
  #read(path: string): void {
    const client = this.#client;
    if (!client || !this.#connected) return;
    const watcher = this.#watcherFor(path);
    client.getChildren(path, watcher, (err, children) => {
      if (client !== this.#client) return;
      if (err) {
        if (errorCode(err) === NO_NODE) {
          client.exists(path, watcher, (e2, stat) => {
            if (client !== this.#client) return;
            if (e2) return this.#failed(e2, `registry: could not watch ${path}`);
            if (stat) this.#read(path); // made meanwhile
            else this.#deliver(path, []);
          });
          return;
        }
        // CONNECTION_LOSS and the like: the next 'connected' reads again.
        return this.#failed(err, `registry: could not read ${path}`);
      }
      this.#deliver(path, children);
    });
  }

  #watcherFor(path: string): (e: Event) => void {
    let w = this.#watchers.get(path);
    if (!w) {
      w = () => {
        if (this.#watches.has(path)) this.#read(path);
      };
      this.#watchers.set(path, w);
    }
    return w;
  }

  #deliver(path: string, children: string[]): void {
    const w = this.#watches.get(path);
    if (!w) return;
    const sorted = [...children].sort();
    if (w.last && sameList(w.last, sorted)) return;
    w.last = sorted;
    for (const fn of [...w.listeners]) {
      try {
        fn([...sorted]);
      } catch (e) {
        this.#failed(e, `registry: a listener of ${path} threw`);
      }
    }
  }

  async #create(path: string, data: Buffer): Promise<void> {
    const client = this.#client;
    if (!client) return;
    const parent = path.slice(0, path.lastIndexOf('/'));
    if (parent) {
      await new Promise<void>((resolve, reject) => client.mkdirp(parent, (err) => (err && errorCode(err) !== NODE_EXISTS ? reject(err as Error) : resolve())));
    }
    await new Promise<void>((resolve, reject) =>
      client.create(path, data, zookeeper.CreateMode.EPHEMERAL, (err) => {
        if (!err) return resolve();
        if (errorCode(err) !== NODE_EXISTS) return reject(err as Error);
        client.exists(path, (e1, stat) => {
          if (e1) return reject(e1 as Error);
          // Ours already (a reconnect within the session): nothing to do; a node that goes meanwhile is made again.
          if (stat && Buffer.compare(stat.ephemeralOwner, client.getSessionId()) === 0) return resolve();
          // Left by an older session of ours (not expired yet) or by someone else: take it over.
          client.remove(path, (e2) => {
            if (e2 && errorCode(e2) !== NO_NODE) return reject(e2 as Error);
            client.create(path, data, zookeeper.CreateMode.EPHEMERAL, (e3) => (e3 && errorCode(e3) !== NODE_EXISTS ? reject(e3 as Error) : resolve()));
          });
        });
      }),
    );
    if (!this.#ephemerals.has(path) && this.#client === client) {
      // unregistered while being made
      client.remove(path, () => {});
    }
  }

  #failed(e: unknown, msg: string): void {
    this.#count('error');
    this.#log.warn({ registry: this.address, err: e }, msg);
  }
}

/** The part of node-zookeeper-client's ConnectionManager `harden` patches. */
interface ConnectionManagerInternals {
  pendingBuffer: Buffer | null;
  socket: { destroy(): void } | undefined;
  onSocketData(this: ConnectionManagerInternals, buffer: Buffer): void;
  onSocketClosed(this: ConnectionManagerInternals, hadError: boolean): void;
}

/**
 * Guards for node-zookeeper-client 1.1.3, whose socket 'data' handler runs outside any callback of ours: it keeps a
 * partial frame of a closed socket and parses the next socket's bytes after it (found in tests: a ZooKeeper killed
 * and restarted), and then throws from the socket's event ("Unknown code"), which would end the process. Here the
 * partial frame goes with its socket, and a frame that cannot be read closes the socket (the client reconnects).
 */
function harden(client: Client, onError: (e: unknown) => void): void {
  const cm = (client as unknown as { connectionManager?: ConnectionManagerInternals }).connectionManager;
  if (!cm || typeof cm.onSocketData !== 'function' || typeof cm.onSocketClosed !== 'function') return;
  const onData = cm.onSocketData;
  const onClosed = cm.onSocketClosed;
  // instance properties: the library binds `this.onSocketData` when it makes each socket
  cm.onSocketData = function (buffer) {
    try {
      onData.call(this, buffer);
    } catch (e) {
      this.pendingBuffer = null;
      this.socket?.destroy();
      onError(e);
    }
  };
  cm.onSocketClosed = function (hadError) {
    this.pendingBuffer = null;
    onClosed.call(this, hadError);
  };
}

/** node-zookeeper-client's close() throws when its socket is not open yet (still connecting). */
function closeQuietly(client: Client | undefined): void {
  try {
    client?.close();
  } catch {
    // not connected: nothing to close on the server; its reconnect loop stops with the state set by close()
  }
}

function errorCode(e: unknown): number | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
