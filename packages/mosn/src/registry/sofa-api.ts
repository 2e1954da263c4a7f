import http from 'node:http';
import { formatAddress, type Logger } from '@mosn/proxy';
import { LocalHttpServer } from '../local-http-server.js';
import { ConfigProblems, ConfigReader } from '../config/config-reader.js';
import { MAX_BODY, readBody } from './api.js';
import { sofaService, type SofaSubscription } from './config.js';

/** A `/services/publish` body, read. */
export interface SofaPublication {
  readonly service: SofaSubscription;
  readonly protocol: string;
  readonly serialization: string;
  readonly appName: string;
}

/** What the API drives (RegistrySource). */
export interface SofaMeshApiTarget {
  sofaApplication(appName: string): void;
  sofaSubscribe(sub: SofaSubscription): Promise<string[]>;
  sofaUnsubscribe(service: string): Promise<void>;
  sofaPublish(pub: SofaPublication): Promise<void>;
  sofaUnpublish(service: string, group: string): Promise<void>;
}

type Answer = Record<string, unknown>;

/**
 * SOFA's mesh registry API, as SOFARPC Java's `MeshRegistry` (`MeshApiClient`) speaks it to its sidecar: `POST
 * /configs/application`, `/services/publish`, `/services/unpublish`, `/services/subscribe`,
 * `/services/unsubscribe`, JSON bodies with fastjson's camelCase names, answers `{"success": true}` or
 * `{"success": false, "errorMessage": "..."}` (`/services/subscribe` adds `serviceName` and `datas`, the provider
 * URLs known). Bound to `api_address` (127.0.0.1 by default).
 */
export class SofaMeshApi {
  readonly #target: SofaMeshApiTarget;
  readonly #log: Logger;
  readonly #server: LocalHttpServer;

  constructor(target: SofaMeshApiTarget, logger: Logger) {
    this.#target = target;
    this.#log = logger;
    this.#server = new LocalHttpServer('SOFA mesh registry API', 'MOSN_ERR_REGISTRY_LISTEN', (req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        this.#log.error({ err: e }, 'sofa mesh api: request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
    }, logger);
  }

  async listen(at: { host: string; port: number }): Promise<void> {
    const a = await this.#server.listen(at);
    this.#log.info({ address: formatAddress(a) }, 'sofa mesh api: listening (/configs/application, /services/publish, /services/unpublish, /services/subscribe, /services/unsubscribe)');
  }

  get address(): { host: string; port: number } | undefined {
    return this.#server.address;
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const op = OPS[path];
    if (!op) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const send = (answer: Answer): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    };
    const body = await readBody(req);
    if (body === undefined) return send({ success: false, errorMessage: `request body over ${MAX_BODY} bytes` });
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString('utf8') || 'null');
    } catch (e) {
      return send({ success: false, errorMessage: `the body is not JSON: ${(e as Error).message}` });
    }
    const problems = new ConfigProblems();
    const r = ConfigReader.of(doc, '', problems);
    const run = r ? op(r, this.#target) : undefined;
    if (!run || problems.errors.length > 0) return send({ success: false, errorMessage: problems.errors.map((p) => `${p.path}: ${p.message}`).join('; ') });
    try {
      const answer = await run();
      this.#log.info({ op: path }, `sofa mesh api: ${path} done`);
      send({ success: true, ...answer });
    } catch (e) {
      this.#log.warn({ err: e, op: path }, `sofa mesh api: ${path} failed`);
      send({ success: false, errorMessage: (e as Error).message });
    }
  }
}

/** Each path: read the body (problems into the reader), and return the work, or undefined when the body is bad. */
const OPS: Record<string, (r: ConfigReader, t: SofaMeshApiTarget) => (() => Promise<Answer>) | undefined> = {
  '/configs/application': (r, t) => {
    // fastjson writes the application's parameters beside `appName`: other keys are the app's, not errors
    const appName = r.str('appName', { required: true, nonEmpty: true });
    return appName === undefined ? undefined : async () => (t.sofaApplication(appName), {});
  },
  '/services/publish': (r, t) => {
    const service = readService(r);
    const protocolType = r.str('protocolType') ?? 'bolt';
    const meta = r.obj('providerMetaInfo');
    const protocol = meta?.str('protocol') ?? protocolType;
    const serialization = meta?.str('serializeType') ?? 'hessian2';
    const appName = meta?.str('appName') ?? '';
    meta?.value('properties');
    meta?.str('version');
    r.bool('onlyPublishInCloud');
    if (!service) return undefined;
    return async () => (await t.sofaPublish({ service, protocol, serialization, appName }), {});
  },
  '/services/unpublish': (r, t) => {
    const service = readService(r);
    r.str('protocolType');
    return service ? async () => (await t.sofaUnpublish(service.service, service.group), {}) : undefined;
  },
  '/services/subscribe': (r, t) => {
    const service = readService(r);
    r.str('protocolType');
    r.str('targetAppAddress');
    return service ? async () => ({ serviceName: service.service, datas: await t.sofaSubscribe(service) }) : undefined;
  },
  '/services/unsubscribe': (r, t) => {
    const service = readService(r);
    r.str('protocolType');
    r.str('targetAppAddress');
    return service ? async () => (await t.sofaUnsubscribe(service.service), {}) : undefined;
  },
};

/** `serviceName` (`interface:version[:uniqueId]`, required) and `group`. */
function readService(r: ConfigReader): SofaSubscription | undefined {
  const name = r.str('serviceName', { required: true, nonEmpty: true });
  const group = r.str('group') ?? '';
  if (name === undefined) return undefined;
  const s = sofaService(name, group);
  if (!s) r.problems.error(r.at('serviceName'), `expected the SOFARPC service name "interface:version" (or "interface:version:uniqueId"), got "${name}"`);
  return s;
}
