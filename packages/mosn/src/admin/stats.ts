import { methodStatName } from '../metrics/names.js';
import { METHOD_NOT_ALLOWED, ONE_PARAMETER_ONLY, json, parameterCount, text } from './reply.js';
import type { AdminRequest, AdminSource, Reply } from './types.js';

/** The stats named `key` or under it (`listener.egress` takes `listener.egress.downstream_rq_total`, ...). */
export function statsUnder(stats: Readonly<Record<string, number>>, key: string): Record<string, number> {
  const prefix = `${key}.`;
  return Object.fromEntries(Object.entries(stats).filter(([name]) => name === key || name.startsWith(prefix)));
}

/**
 * `GET /api/v1/stats`: every stat (`{"name": value}`); with `?key=<name>`, the stats under that name, or MOSN's
 * 200 `no metrics key: <name>` when there are none. More than one parameter: 400 `only support one parameter`.
 * With workers, the stats of the whole group (summed: see workers/aggregate.ts); `?worker=<id>` gives one worker's
 * own (404 `no worker: <id>` when none of that id answered).
 */
export function statsDump(req: AdminRequest, source: AdminSource): Reply {
  if (req.method !== 'GET') return METHOD_NOT_ALLOWED;
  const n = parameterCount(req.query);
  if (n === 0) return json(200, source.stats());
  if (n > 1) return ONE_PARAMETER_ONLY;
  const worker = req.query.get('worker');
  if (worker !== null) {
    const stats = source.workerStats?.(Number(worker));
    return stats ? json(200, stats) : text(404, `no worker: ${worker}`);
  }
  const key = req.query.get('key') ?? '';
  const found = key === '' ? {} : statsUnder(source.stats(), key);
  return Object.keys(found).length === 0 ? text(200, `no metrics key: ${key}`) : json(200, found);
}

/**
 * The proxy's totals, as MOSN's `downstream.proxy.global` metrics: each `listener.<name>.<stat>` summed over the
 * listeners by `<stat>` (a listener name may hold dots, a stat name does not); the per-method families of
 * `dubbo_stream` and `grpc_metric` are not totals of the proxy, and are left out.
 */
export function proxyTotals(stats: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(stats)) {
    if (!name.startsWith('listener.')) continue;
    // per service and method, not a proxy total
    if (methodStatName(name) !== undefined) continue;
    const dot = name.lastIndexOf('.');
    if (dot <= 'listener.'.length) continue;
    const stat = name.slice(dot + 1);
    out[stat] = (out[stat] ?? 0) + value;
  }
  return out;
}

/** `GET /api/v1/stats_glob`: the proxy's totals as MOSN writes them, one `stat:value` line each. */
export function statsGlob(req: AdminRequest, source: AdminSource): Reply {
  if (req.method !== 'GET') return METHOD_NOT_ALLOWED;
  const totals = proxyTotals(source.stats());
  return text(200, Object.keys(totals).sort().map((k) => `${k}:${totals[k]}\n`).join(''));
}
