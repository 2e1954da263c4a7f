import http from 'node:http';
import { formatAddress, type Address, type Logger } from '@mosn/proxy';
import type { ApplyResult } from './mosn.js';
import { describeChange } from './runtime/plan.js';

export interface AdminSource {
  configDump(): unknown;
  stats(): Record<string, number>;
  state(): string;
  logLevel(): string;
  /** The running config's version (1 at start, one more per applied change). */
  version(): number;
  /** Re-read the config file and apply it (`POST /api/v1/reload`); absent when mosn was not started from a file. */
  reload?: () => Promise<ApplyResult>;
}

/** What `/api/v1/config_dump` shows instead of a private key. */
export const REDACTED = '[redacted]';

/**
 * A copy of a config document with every non-empty `private_key` value (any depth, any case of the key) replaced by
 * REDACTED, as MOSN's config_dump does: inline PEM and file paths alike. Certificates and CAs are public; kept.
 */
export function redactPrivateKeys(doc: unknown): unknown {
  if (Array.isArray(doc)) return doc.map(redactPrivateKeys);
  if (doc === null || typeof doc !== 'object') return doc;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    out[k] = k.toLowerCase() === 'private_key' && v !== '' && v !== null && v !== undefined ? REDACTED : redactPrivateKeys(v);
  }
  return out;
}

/**
 * MOSN's admin API, on `admin.address`: `/api/v1/config_dump`, `/api/v1/stats`, `/api/v1/states`,
 * `/api/v1/get_loglevel`. Off the hot path, so plain node:http.
 */
export class AdminServer {
  #server: http.Server | undefined;
  #source: AdminSource;
  #log: Logger;
  constructor(source: AdminSource, logger: Logger) {
    this.#source = source;
    this.#log = logger.child({ component: 'admin' });
  }

  start(address: Address): Promise<Address> {
    const server = http.createServer((req, res) => this.#handle(req, res));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const ready = () => {
        const a = server.address();
        const bound = a && typeof a === 'object' ? { host: a.address, port: a.port } : address;
        this.#log.info({ address: formatAddress(bound) }, 'admin API listening');
        resolve(bound);
      };
      if ('path' in address) server.listen(address.path, ready);
      else server.listen(address.port, address.host, ready);
    });
  }

  close(): Promise<void> {
    const s = this.#server;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  /** `POST /api/v1/reload`: 200 with the new version and its changes, 400 with the problems (nothing changed). */
  #reload(method: string, json: (code: number, body: unknown) => void): void {
    const reload = this.#source.reload;
    if (method !== 'POST') return json(405, { error: 'use POST to reload the config file' });
    if (!reload) return json(404, { error: 'this mosn was not started from a config file: nothing to reload' });
    reload().then(
      (r) =>
        r.ok
          ? json(200, { version: r.version, changes: r.changes.map(describeChange), failed: r.failed.map((f) => `${describeChange(f.change)}: ${f.error.message}`) })
          : json(400, { version: r.version, error: 'the config has errors; nothing changed', problems: r.problems }),
      (e: unknown) => {
        this.#log.error({ err: e }, 'reload failed');
        json(500, { error: (e as Error).message });
      },
    );
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body, null, 2) + '\n');
    };
    switch (path) {
      case '/api/v1/config_dump':
        return json(200, redactPrivateKeys(this.#source.configDump()));
      case '/api/v1/stats':
        return json(200, this.#source.stats());
      case '/api/v1/states':
        return json(200, { state: this.#source.state(), config_version: this.#source.version() });
      case '/api/v1/get_loglevel':
        return json(200, { level: this.#source.logLevel() });
      case '/api/v1/reload':
        return this.#reload(req.method ?? 'GET', json);
      default:
        return json(404, { error: `unknown admin path ${path}`, paths: ['/api/v1/config_dump', '/api/v1/stats', '/api/v1/states', '/api/v1/get_loglevel', '/api/v1/reload'] });
    }
  }
}
