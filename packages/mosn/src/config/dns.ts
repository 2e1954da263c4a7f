import { getServers as dnsGetServers } from 'node:dns';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { formatAddress, DEFAULT_DNS_REFRESH_MS, DEFAULT_DNS_TIMEOUT_MS, DNS_LOOKUP_FAMILIES, type DnsLookupFamily, type DnsResolverSettings, type StrictDnsConfig } from '@mosn/proxy';
import type { ConfigReader } from './config-reader.js';

/** The keys of a STRICT_DNS cluster's DNS settings (ignored, with a warning, on other clusters). */
export const DNS_KEYS = ['dns_refresh_rate', 'respect_dns_ttl', 'dns_lookup_family', 'dns_resolvers', 'dns_resolver_file', 'dns_resolver_port'];
/** Below this, refreshing would mostly load the DNS server. */
const MIN_DNS_REFRESH_MS = 100;

/** A port given as MOSN's string ("53") or as a number. */
function readPort(r: ConfigReader, key: string): number | undefined {
  const v = r.value(key);
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
  r.problems.error(r.at(key), `expected a port from 1 to 65535 (a number or a string such as "53"), got ${JSON.stringify(v)}`);
  return undefined;
}

/** `dns_refresh_rate`, `respect_dns_ttl`, `dns_lookup_family`, `dns_resolvers` / `dns_resolver_file` / `dns_resolver_port`. */
export function readStrictDns(c: ConfigReader): StrictDnsConfig {
  let refreshMs = c.duration('dns_refresh_rate', { numberUnit: 'ns' }) || DEFAULT_DNS_REFRESH_MS;
  if (refreshMs < MIN_DNS_REFRESH_MS) {
    c.problems.error(c.at('dns_refresh_rate'), `expected at least ${MIN_DNS_REFRESH_MS}ms (or 0 for the default 5s), got ${refreshMs}ms`);
    refreshMs = DEFAULT_DNS_REFRESH_MS;
  }
  const respectTtl = c.bool('respect_dns_ttl') ?? false;
  const family = (c.str('dns_lookup_family', { oneOf: DNS_LOOKUP_FAMILIES }) || 'V4_ONLY').toUpperCase() as DnsLookupFamily;
  const resolver: DnsResolverSettings = { servers: [], search: [], ndots: 0, timeoutMs: DEFAULT_DNS_TIMEOUT_MS, attempts: 1 };
  const r = c.obj('dns_resolvers');
  const serverPort = (r ? readPort(r, 'port') : undefined) ?? 53;
  const servers = r ? r.arr('servers') : [];
  for (const s of servers) {
    if (typeof s.value === 'string' && isIP(s.value) !== 0) {
      resolver.servers.push(formatAddress({ host: s.value, port: serverPort }));
    } else c.problems.error(s.path, `expected the IP address of a DNS server, got ${JSON.stringify(s.value)}`);
  }
  if (r) {
    resolver.search = r.strings('search');
    resolver.ndots = r.num('ndots', { min: 0, max: 15 }) ?? 0;
    const timeoutS = r.num('timeout', { min: 0, max: 60 }) ?? 0;
    if (timeoutS > 0) resolver.timeoutMs = timeoutS * 1000;
    resolver.attempts = r.num('attempts', { min: 0, max: 10 }) || 1;
    r.finish();
  }
  const file = c.str('dns_resolver_file');
  const filePort = readPort(c, 'dns_resolver_port');
  if (servers.length === 0) {
    // MOSN reads /etc/resolv.conf when no servers are listed; so does Node's resolver.
    if (file) readResolvConf(c, file, filePort ?? 53, resolver);
    else if (filePort !== undefined) resolver.servers = [...new Set(defaultDnsServers())].map((s) => formatAddress({ host: s, port: filePort }));
  } else if (file || filePort !== undefined) {
    c.problems.warn(c.at(file ? 'dns_resolver_file' : 'dns_resolver_port'), 'ignored: dns_resolvers.servers is set, and MOSN then uses it');
  }
  return { refreshMs, respectTtl, family, resolver };
}

/** The system's DNS servers (Node reads them from /etc/resolv.conf), without their ports. */
function defaultDnsServers(): string[] {
  return dnsGetServers().map((s) => (s.startsWith('[') ? s.slice(1, s.indexOf(']')) : isIP(s) !== 0 ? s : s.replace(/:\d+$/, '')));
}

/** `nameserver`, `search`, and `options ndots: timeout: attempts:` of a resolv.conf file. */
function readResolvConf(c: ConfigReader, file: string, port: number, out: DnsResolverSettings): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    c.problems.error(c.at('dns_resolver_file'), `cannot read "${file}": ${(e as Error).message}`);
    return;
  }
  // resolv.conf's own defaults, as MOSN's DNS client applies them
  out.ndots = 1;
  out.timeoutMs = 5000;
  out.attempts = 2;
  for (const line of text.split('\n')) {
    const [word, ...rest] = line.trim().split(/\s+/);
    if (word === 'nameserver' && rest[0] && isIP(rest[0]) !== 0) out.servers.push(formatAddress({ host: rest[0], port }));
    else if (word === 'search' || word === 'domain') out.search = rest;
    else if (word === 'options') {
      for (const o of rest) {
        const [k, v] = o.split(':');
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) continue;
        if (k === 'ndots') out.ndots = Math.min(n, 15);
        else if (k === 'timeout' && n > 0) out.timeoutMs = Math.min(n, 30) * 1000;
        else if (k === 'attempts' && n > 0) out.attempts = Math.min(n, 5);
      }
    }
  }
  if (out.servers.length === 0) c.problems.error(c.at('dns_resolver_file'), `"${file}" lists no nameserver`);
}
