import http from 'node:http';
import { formatAddress, type Logger } from '@mosn/proxy';
import { LocalHttpServer } from '../local-http-server.js';
import { ConfigProblems, ConfigReader } from '../config/config-reader.js';
import { readDubboService, type DubboSubscription } from './config.js';

/** What the API drives (RegistrySource). */
export interface RegistryApiTarget {
  subscribe(sub: DubboSubscription): Promise<void>;
  unsubscribe(sub: DubboSubscription): Promise<void>;
  publish(pub: DubboSubscription): Promise<void>;
  unpublish(pub: DubboSubscription): Promise<void>;
}

/** The largest request body read (the bodies are a few hundred bytes). */
export const MAX_BODY = 64 * 1024;

/**
 * MOSN dubbod's HTTP API for the app beside mosn: `POST /sub`, `/unsub`, `/pub`, `/unpub` with JSON bodies,
 * answered `200 {"err_no": 0|1, "err_msg": "..."}` with MOSN's messages. Bound to `api_address` (127.0.0.1 by
 * default; MOSN listens on every interface).
 */
export class RegistryApi {
  readonly #target: RegistryApiTarget;
  readonly #log: Logger;
  readonly #server: LocalHttpServer;

  constructor(target: RegistryApiTarget, logger: Logger) {
    this.#target = target;
    this.#log = logger;
    this.#server = new LocalHttpServer('registry API', 'MOSN_ERR_REGISTRY_LISTEN', (req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        this.#log.error({ err: e }, 'registry api: request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
    }, logger);
  }

  async listen(at: { host: string; port: number }): Promise<void> {
    const a = await this.#server.listen(at);
    this.#log.info({ address: formatAddress(a) }, 'registry api: listening (POST /sub, /unsub, /pub, /unpub)');
  }

  get address(): { host: string; port: number } | undefined {
    return this.#server.address;
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const op = OPS[path as keyof typeof OPS];
    if (!op) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const answer = (errNo: 0 | 1, msg: string) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ err_no: errNo, err_msg: msg }));
    };
    const body = await readBody(req);
    if (body === undefined) return answer(1, `${op.failPrefix}request body over ${MAX_BODY} bytes`);
    let doc: unknown;
    try {
      doc = JSON.parse(body.length === 0 ? 'null' : body.toString('utf8'));
    } catch (e) {
      return answer(1, `${op.failPrefix}the body is not JSON: ${(e as Error).message}`);
    }
    const problems = new ConfigProblems();
    const r = ConfigReader.of(doc, '', problems);
    const sub = r ? readDubboService(r, op.kind) : undefined;
    if (!sub) return answer(1, `${op.failPrefix}${problems.errors.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    try {
      await this.#target[op.method](sub);
    } catch (e) {
      this.#log.warn({ err: e, op: path, interface: sub.interface }, `registry api: ${path} failed`);
      return answer(1, `${op.doFailPrefix}${(e as Error).message}`);
    }
    this.#log.info({ op: path, interface: sub.interface, version: sub.version, group: sub.group, registry: sub.registry.addr }, `registry api: ${op.success}`);
    answer(0, op.success);
  }
}

/** MOSN's messages: sub/unsub prefix every failure; pub/unpub answer a bad body with the bare reason. */
const OPS = {
  '/sub': { method: 'subscribe', kind: 'sub', success: 'subscribe success', failPrefix: 'subscribe fail, err: ', doFailPrefix: 'subscribe fail, err: ' },
  '/unsub': { method: 'unsubscribe', kind: 'sub', success: 'unsubscribe success', failPrefix: 'unsubscribe fail, err: ', doFailPrefix: 'unsubscribe fail, err: ' },
  '/pub': { method: 'publish', kind: 'pub', success: 'publish success', failPrefix: '', doFailPrefix: 'publish fail, err: ' },
  '/unpub': { method: 'unpublish', kind: 'pub', success: 'unpub success', failPrefix: '', doFailPrefix: 'unpub fail, err: ' },
} as const;

/** The request's body, or undefined when it is over MAX_BODY (the rest is read and dropped). */
export function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
