import type { Logger } from '@mosn/proxy';
import type { ConfigReader } from '../config/config-reader.js';
import { sofaService, type SofaSubscription } from './config.js';
import { JsonPostApi, type JsonBody } from './json-post-api.js';

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
export class SofaMeshApi extends JsonPostApi {
  constructor(target: SofaMeshApiTarget, logger: Logger) {
    super({ name: 'sofa mesh api', describe: Object.keys(OPS).join(', '), paths: new Set(Object.keys(OPS)), answer: (path, body) => answer(target, logger, path, body) }, logger);
  }
}

async function answer(target: SofaMeshApiTarget, log: Logger, path: string, body: JsonBody): Promise<Answer> {
  if ('error' in body) return { success: false, errorMessage: body.error };
  const run = body.reader ? OPS[path]!(body.reader, target) : undefined;
  if (!run || body.problems.errors.length > 0) return { success: false, errorMessage: body.problems.errors.map((p) => `${p.path}: ${p.message}`).join('; ') };
  try {
    const answer = await run();
    log.info({ op: path }, `sofa mesh api: ${path} done`);
    return { success: true, ...answer };
  } catch (e) {
    log.warn({ err: e, op: path }, `sofa mesh api: ${path} failed`);
    return { success: false, errorMessage: (e as Error).message };
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
