import { readFileSync } from 'node:fs';
import { METHOD_NOT_ALLOWED, json, mosnError, text } from './reply.js';
import type { AdminRequest, Reply } from './types.js';

let packageVersion: string | undefined;

/** mosn-ts's version (the `mosn` package's), read once. */
export function mosnVersion(): string {
  // src/admin/ and dist/admin/ both sit two folders below the package
  packageVersion ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return packageVersion;
}

/** `/api/v1/version`: `mosn version: <version>`, as MOSN (any method). */
export function version(): Reply {
  return text(200, `mosn version: ${mosnVersion()}`);
}

/**
 * MOSN's feature gates and their defaults (pkg/featuregate `mosn_features.go`, configmanager `auto_config`). mosn-ts
 * has no `--feature-gates` flag: each stays at MOSN's default, off.
 */
export const FEATURES: Readonly<Record<string, boolean>> = { MultiTenantMode: false, PayLoadLimitEnable: false, XdsMtlsEnable: false, auto_config: false };

/** `GET /api/v1/features`: every feature and whether it is on; with `?key=<feature>`, `true` or `false`. */
export function features(req: AdminRequest): Reply {
  if (req.method !== 'GET') return METHOD_NOT_ALLOWED;
  if ([...req.query.keys()].length === 0) return json(200, FEATURES, ' ');
  const key = req.query.get('key') ?? '';
  return text(200, String(Object.hasOwn(FEATURES, key) && FEATURES[key] === true));
}

/**
 * `GET /api/v1/env?key=A&key=B`: `{"env": {"A": "..."}, "not_found": ["B"]}` (`not_found` null when all are set), as
 * MOSN; no `key`: 400 `no env key`.
 */
export function env(req: AdminRequest): Reply {
  if (req.method !== 'GET') return METHOD_NOT_ALLOWED;
  const keys = req.query.getAll('key');
  if (!req.query.has('key')) return mosnError(400, 'no env key');
  const found: Record<string, string> = {};
  const notFound: string[] = [];
  for (const k of keys) {
    const v = Object.hasOwn(process.env, k) ? process.env[k] : undefined;
    if (v === undefined) notFound.push(k);
    else found[k] = v;
  }
  const sorted = Object.fromEntries(Object.entries(found).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return json(200, { env: sorted, not_found: notFound.length > 0 ? notFound : null }, ' ');
}

const PLUGIN_USAGE = 'Usage:\n/plugin?status=all\n/plugin?status=pluginname\n/plugin?enable=pluginname\n/plugin?disable=pluginname\n';

/**
 * `/api/v1/plugin?status=all|<name>`, `?enable=<name>`, `?disable=<name>`: MOSN's API for its Go plugins (separate
 * processes). mosn-ts has none: `status=all` lists none (200, an empty line); any name is 400 `plugin <name> no
 * register`; no parameter is 400 with MOSN's usage text.
 */
export function plugin(req: AdminRequest): Reply {
  for (const op of ['enable', 'disable', 'status']) {
    const name = req.query.get(op);
    if (!name) continue;
    if (op === 'status' && name === 'all') return text(200, '\n');
    return text(400, `plugin ${name} no register\n`);
  }
  return text(400, PLUGIN_USAGE);
}
