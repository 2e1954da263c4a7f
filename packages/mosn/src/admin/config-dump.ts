import { METHOD_NOT_ALLOWED, ONE_PARAMETER_ONLY, json, mosnError, parameterCount } from './reply.js';
import type { AdminRequest, AdminSource, Reply } from './types.js';

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

type Doc = Record<string, unknown>;

const obj = (v: unknown): Doc | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The sections of one kind, by name, as MOSN's config manager keeps them (a Go map: keys sorted). */
function byName(sections: unknown[], nameKey: string): Doc {
  const entries: [string, unknown][] = [];
  for (const s of sections) {
    const name = obj(s)?.[nameKey];
    if (typeof name === 'string') entries.push([name, s]);
  }
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const server0 = (doc: unknown): Doc | undefined => obj(list(obj(doc)?.['servers'])[0]);

/** The section of that name, or `{}` (`constructor` and `__proto__` are names like any other). */
const named = (sections: Doc, name: string): unknown => (Object.hasOwn(sections, name) ? sections[name] : {});

const routers = (doc: unknown): Doc => byName(list(server0(doc)?.['routers']), 'router_config_name');
const clusters = (doc: unknown): Doc => byName(list(obj(obj(doc)?.['cluster_manager'])?.['clusters']), 'name');
const listeners = (doc: unknown): Doc => byName(list(server0(doc)?.['listeners']), 'name');

/**
 * MOSN's query options, each one view of the running config (pkg/admin/server/apis.go `ConfigDump`). A name MOSN
 * does not know gets an empty (zero-valued) section and 200, as there.
 */
const VIEWS: Readonly<Record<string, (doc: unknown, value: string) => unknown>> = {
  mosnconfig: (doc) => mosnConfigOnly(doc),
  allrouters: routers,
  allclusters: clusters,
  alllisteners: listeners,
  router: (doc, name) => named(routers(doc), name),
  cluster: (doc, name) => named(clusters(doc), name),
  listener: (doc, name) => named(listeners(doc), name),
};

/**
 * `?mosnconfig`: the config without its listeners, routers and clusters (each has its own view), as MOSN's
 * `SetMosnConfig` keeps it: the first server only, `cluster_manager` with its `tls_context` alone, no `extends`.
 */
export function mosnConfigOnly(doc: unknown): Doc {
  const out: Doc = { ...obj(doc) };
  const s: Doc = { ...server0(doc) };
  delete s['listeners'];
  delete s['routers'];
  out['servers'] = [s];
  const tls = obj(out['cluster_manager'])?.['tls_context'];
  out['cluster_manager'] = tls === undefined ? {} : { tls_context: tls };
  delete out['extends'];
  return out;
}

/**
 * `GET /api/v1/config_dump`: with no parameter, the whole running config (and the status of each dynamic source
 * that runs: `xds`, `registry`); with one of MOSN's parameters, that view (MOSN's one-space indent). More than one
 * parameter: 400 `only support one parameter`; an unknown one: 500 `internal error`, as MOSN answers. Private keys
 * are redacted in every view.
 */
export function configDump(req: AdminRequest, source: AdminSource): Reply {
  if (req.method !== 'GET') return METHOD_NOT_ALLOWED;
  const doc = source.config();
  const n = parameterCount(req.query);
  if (n === 0) {
    const statuses = source.statuses();
    return json(200, redactPrivateKeys(Object.keys(statuses).length > 0 ? { ...obj(doc), ...statuses } : doc));
  }
  if (n > 1) return ONE_PARAMETER_ONLY;
  const [key, value] = [...req.query.entries()][0]!;
  const view = Object.hasOwn(VIEWS, key) ? VIEWS[key] : undefined;
  if (!view) return mosnError(500, 'internal error');
  return json(200, redactPrivateKeys(view(doc, value)), ' ');
}
