import { DEFAULT_CIRCUIT_BREAKERS, type CircuitBreakerConfig } from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';

/**
 * `circuit_breakers`: MOSN's array of thresholds (`[{ "priority": "default", "max_connections", ... }]`; the
 * object form `{ "thresholds": [...] }` is read too). The default-priority entry applies; DEFAULT_CIRCUIT_BREAKERS
 * fill the rest.
 */
export function readCircuitBreakers(c: ConfigReader): CircuitBreakerConfig {
  const out = { ...DEFAULT_CIRCUIT_BREAKERS };
  const raw = c.value('circuit_breakers');
  if (raw === undefined || raw === null) return out;
  let entries: ConfigReader[];
  if (Array.isArray(raw)) entries = c.objects('circuit_breakers');
  else {
    const o = c.obj('circuit_breakers');
    entries = o?.objects('thresholds') ?? [];
    o?.finish();
  }
  for (const t of entries) {
    const priority = (t.str('priority') ?? 'default').toLowerCase();
    const read = (key: string) => t.num(key, { min: 0, max: 1_000_000 });
    const maxConnections = read('max_connections');
    const maxPendingRequests = read('max_pending_requests');
    const maxRequests = read('max_requests');
    const maxRetries = read('max_retries');
    t.finish();
    if (priority !== 'default' && priority !== '') {
      t.problems.warn(t.at('priority'), `priority "${priority}" thresholds are not used: mosn-ts has one priority`);
      continue;
    }
    if (maxConnections !== undefined) out.maxConnections = maxConnections;
    if (maxPendingRequests !== undefined) out.maxPendingRequests = maxPendingRequests;
    if (maxRequests !== undefined) out.maxRequests = maxRequests;
    if (maxRetries !== undefined) out.maxRetries = maxRetries;
  }
  return out;
}
