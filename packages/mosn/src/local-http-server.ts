import http from 'node:http';
import { MosnError, formatAddress, listenOn, type Address, type Logger } from '@mosn/proxy';

/** A request's target split into its path and its query (without the `?`). */
export function requestTarget(req: http.IncomingMessage): { path: string; query: string } {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/**
 * One of the runtime's own small HTTP servers (the admin API, the metrics sink, the registry APIs): it listens
 * with an error that names it and carries its `MOSN_ERR_` code (a port in use, ...), logs later server errors,
 * and closes with its connections.
 */
export class LocalHttpServer {
  readonly #server: http.Server;
  readonly #name: string;
  readonly #code: string;
  readonly #log: Logger;

  /** `name` says what it is in messages (`admin API`); `code` is the MosnError code of a failed listen. */
  constructor(name: string, code: string, handler: http.RequestListener, logger: Logger) {
    this.#name = name;
    this.#code = code;
    this.#log = logger;
    this.#server = http.createServer(handler);
  }

  /** Listen on `address`; resolves with the bound address (its real port when 0 was asked for). */
  async listen(address: Address): Promise<Address> {
    const server = this.#server;
    try {
      await listenOn(server, address);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new MosnError(this.#code, `${this.#name} cannot listen on ${formatAddress(address)}: ${err.code ?? err.message}`, { cause: err });
    }
    server.on('error', (err) => this.#log.error({ err }, `${this.#name} error`));
    return this.address ?? address;
  }

  /** The bound address, while listening on a host and port. */
  get address(): { host: string; port: number } | undefined {
    const a = this.#server.address();
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

/** The largest request body the runtime's own servers read (their bodies are a few hundred bytes). */
export const MAX_BODY = 64 * 1024;

/** A request's body, or undefined when it is over `max` bytes (the rest is read and dropped). */
export function readBody(req: http.IncomingMessage, max = MAX_BODY): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
      else if (!over) {
        over = true;
        resolve(undefined);
      }
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
