import http from 'node:http';
import { formatAddress, type Address, type Logger } from '@mosn/proxy';
import { LocalHttpServer, MAX_BODY, readBody, requestTarget } from '../local-http-server.js';
import { configDump } from './config-dump.js';
import { env, features, plugin, version } from './info.js';
import { LIVE_PATH, LiveFeed } from './live/feed.js';
import { ADMIN_PAGE_PATH, adminPage } from './live/page.js';
import { getLogLevel, toggleLog, updateLogLevel } from './log-level.js';
import { reloadHandler } from './reload.js';
import { mosnError, text } from './reply.js';
import { ready, states } from './states.js';
import { statsDump, statsGlob } from './stats.js';
import type { AdminHandler, AdminRequest, AdminSource, Reply } from './types.js';

/**
 * MOSN's admin API (pkg/admin/server), on `admin.address`: the same paths, methods, parameters, answers and status
 * codes, plus `POST /api/v1/reload`, Envoy's `/ready`, and the live page (`/admin`, fed by the event stream
 * `/api/v1/live`). Any other path gets MOSN's help: the list of paths. Off the hot path, so plain node:http.
 * See docs/operations.md.
 */
export class AdminServer {
  #server: LocalHttpServer | undefined;
  readonly #source: AdminSource;
  readonly #log: Logger;
  readonly #routes: ReadonlyMap<string, AdminHandler>;
  readonly #live: LiveFeed;

  constructor(source: AdminSource, logger: Logger) {
    this.#source = source;
    this.#log = logger.child({ component: 'admin' });
    this.#live = new LiveFeed(source, this.#log);
    this.#routes = new Map<string, AdminHandler>([
      ['/api/v1/version', version],
      ['/api/v1/config_dump', configDump],
      ['/api/v1/stats', statsDump],
      ['/api/v1/stats_glob', statsGlob],
      ['/api/v1/update_loglevel', updateLogLevel],
      ['/api/v1/get_loglevel', getLogLevel],
      ['/api/v1/enable_log', toggleLog(true)],
      ['/api/v1/disable_log', toggleLog(false)],
      ['/api/v1/states', states],
      ['/api/v1/plugin', plugin],
      ['/api/v1/features', features],
      ['/api/v1/env', env],
      ['/api/v1/reload', reloadHandler(this.#log)],
      ['/ready', ready],
      [ADMIN_PAGE_PATH, adminPage],
    ]);
  }

  /** The paths served, sorted (MOSN's help page). */
  get paths(): string[] {
    return [...this.#routes.keys(), LIVE_PATH].sort();
  }

  /** Listen on `address`; a port in use (or any other bind error) is MOSN_ERR_ADMIN_LISTEN, naming the admin API. */
  async start(address: Address): Promise<Address> {
    const server = new LocalHttpServer('admin API', 'MOSN_ERR_ADMIN_LISTEN', (req, res) => this.#handle(req, res), this.#log);
    this.#server = server;
    const bound = await server.listen(address);
    this.#log.info({ address: formatAddress(bound) }, 'admin API listening');
    return bound;
  }

  close(): Promise<void> {
    this.#live.close();
    return this.#server?.close() ?? Promise.resolve();
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const { path, query } = requestTarget(req);
    const method = req.method ?? 'GET';
    if (path === LIVE_PATH) {
      this.#log.debug({ method, path }, 'admin request');
      return this.#live.attach(req, res);
    }
    const handler = this.#routes.get(path);
    const request: AdminRequest = { method, query: new URLSearchParams(query), body: () => readText(req) };
    const answer = (reply: Reply) => {
      // state changes at info (as MOSN logs them), reads at debug
      const line = { method, path, status: reply.status };
      if (method === 'GET' || method === 'HEAD') this.#log.debug(line, 'admin request');
      else this.#log.info(line, 'admin request');
      res.writeHead(reply.status, { ...reply.headers, 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) });
      res.end(method === 'HEAD' ? undefined : reply.body);
    };
    if (!handler) return answer(text(200, `supported APIs:\n${this.paths.map((p) => `${p}\n`).join('')}`));
    Promise.resolve()
      .then(() => this.#source.refresh?.())
      .then(() => handler(request, this.#source))
      .then(answer, (e: unknown) => {
        if (e instanceof BodyError) {
          this.#log.warn({ path, reason: e.message }, 'admin request body refused');
          return answer(mosnError(400, 'read body error'));
        }
        this.#log.error({ err: e, path }, 'admin request failed');
        answer(mosnError(500, 'internal error'));
      });
  }
}

class BodyError extends Error {}

/** The body as text; a body over MAX_BODY, or one that breaks off, is a BodyError (answered 400). */
async function readText(req: http.IncomingMessage): Promise<string> {
  let body: Buffer | undefined;
  try {
    body = await readBody(req);
  } catch (e) {
    throw new BodyError((e as Error).message);
  }
  if (body === undefined) throw new BodyError(`request body over ${MAX_BODY} bytes`);
  return body.toString();
}
