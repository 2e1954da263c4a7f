import type http from 'node:http';
import { formatAddress, type Logger } from '@mosn/proxy';
import { ConfigProblems, ConfigReader } from '../config/config-reader.js';
import { LocalHttpServer, MAX_BODY, readBody, requestTarget } from '../local-http-server.js';

/** A request body: read as JSON (a reader, with the problems it finds), or why it could not be. */
export type JsonBody = { readonly reader: ConfigReader | undefined; readonly problems: ConfigProblems } | { readonly error: string };

export interface JsonPostApiOptions {
  /** What it is, in messages: `registry API`. */
  readonly name: string;
  /** What it serves, for the log line when it listens. */
  readonly describe: string;
  readonly paths: ReadonlySet<string>;
  /** The answer to a POST of `path` (written as JSON, status 200). */
  readonly answer: (path: string, body: JsonBody) => Promise<unknown>;
}

/**
 * The registry APIs' shared shape (MOSN's dubbo_registry API, SOFA's mesh registry API): `POST <path>` with a JSON
 * body, answered 200 with a JSON object; an unknown path 404, another method 405; a listen error is
 * MOSN_ERR_REGISTRY_LISTEN naming the API.
 */
export class JsonPostApi {
  readonly #o: JsonPostApiOptions;
  readonly #log: Logger;
  readonly #server: LocalHttpServer;

  constructor(options: JsonPostApiOptions, logger: Logger) {
    this.#o = options;
    this.#log = logger;
    this.#server = new LocalHttpServer(options.name, 'MOSN_ERR_REGISTRY_LISTEN', (req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        this.#log.error({ err: e }, `${options.name}: request failed`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    }, logger);
  }

  async listen(at: { host: string; port: number }): Promise<void> {
    const a = await this.#server.listen(at);
    this.#log.info({ address: formatAddress(a) }, `${this.#o.name}: listening (${this.#o.describe})`);
  }

  get address(): { host: string; port: number } | undefined {
    return this.#server.address;
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { path } = requestTarget(req);
    if (!this.#o.paths.has(path)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const answer = await this.#o.answer(path, await readJson(req));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }
}

async function readJson(req: http.IncomingMessage): Promise<JsonBody> {
  const body = await readBody(req);
  if (body === undefined) return { error: `request body over ${MAX_BODY} bytes` };
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8') || 'null');
  } catch (e) {
    return { error: `the body is not JSON: ${(e as Error).message}` };
  }
  const problems = new ConfigProblems();
  return { reader: ConfigReader.of(doc, '', problems), problems };
}
