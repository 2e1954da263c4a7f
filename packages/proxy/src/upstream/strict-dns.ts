import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { silentLogger, type Logger } from '@mosn/stream';
import type { Cluster, HostConfig, HostSource } from './cluster.js';
import { DNS } from '../stats/names.js';
import type { Stats } from '../stats/stats.js';

/** `dns_lookup_family`: MOSN's `V4_ONLY` (A, the default) and `V6_ONLY` (AAAA); Envoy's `ALL`, `AUTO`, `V4_PREFERRED`. */
export const DNS_LOOKUP_FAMILIES = ['V4_ONLY', 'V6_ONLY', 'ALL', 'AUTO', 'V4_PREFERRED'] as const;
export type DnsLookupFamily = (typeof DNS_LOOKUP_FAMILIES)[number];

/** MOSN's and Envoy's default `dns_refresh_rate`. */
export const DEFAULT_DNS_REFRESH_MS = 5000;
/** Per query try when `dns_resolvers.timeout` is not set (the default of MOSN's DNS client). */
export const DEFAULT_DNS_TIMEOUT_MS = 2000;

/** Which DNS servers to ask, and how (`dns_resolvers`, or a resolv.conf file). */
export interface DnsResolverSettings {
  /** `ip:port` / `[ip6]:port` entries; empty: the system's servers (from /etc/resolv.conf). */
  servers: string[];
  /** Domains appended to a name with few dots (resolv.conf `search`). */
  search: string[];
  /** A name with more than this many dots is tried as is first (resolv.conf `ndots`). */
  ndots: number;
  /** Per query try. */
  timeoutMs: number;
  /** Tries per query and server. */
  attempts: number;
}

export interface StrictDnsConfig {
  refreshMs: number;
  /** Refresh after the smallest TTL of the answer (+1 s, as MOSN), when it is above 0. */
  respectTtl: boolean;
  family: DnsLookupFamily;
  resolver: DnsResolverSettings;
}

export interface StrictDnsOptions {
  stats?: Stats | undefined;
  logger?: Logger | undefined;
}

/** One configured host: a name resolved again and again, or an IP literal that needs no DNS. */
interface Target {
  config: HostConfig & { address: { host: string; port: number } };
  name: string | undefined;
  /** The last good answer: one host per address, the configured weight and hostname kept. */
  hosts: HostConfig[] | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** A resolved address and its TTL in seconds. */
interface Answer {
  address: string;
  ttl: number;
}

/**
 * The hosts of a `STRICT_DNS` cluster: each configured `name:port` is resolved (A and/or AAAA per
 * `dns_lookup_family`), one host per address with the configured weight, again every `dns_refresh_rate` (or after
 * the answer's TTL with `respect_dns_ttl`). A failed or empty answer keeps the last good one. IP literals are hosts
 * as they are. The cluster's hosts change only through `updateHosts`.
 */
export class StrictDnsSource implements HostSource {
  readonly cluster: Cluster;
  readonly config: StrictDnsConfig;
  #targets: Target[];
  #resolver: Resolver | undefined;
  #stopped = false;
  #log: Logger;
  #stats: Stats | undefined;
  #prefix: string;

  constructor(cluster: Cluster, hosts: readonly HostConfig[], config: StrictDnsConfig, options: StrictDnsOptions = {}) {
    this.cluster = cluster;
    this.config = config;
    this.#log = (options.logger ?? cluster.log ?? silentLogger).child({ dns: true });
    this.#stats = options.stats;
    this.#prefix = `cluster.${cluster.name}.dns.`;
    this.#targets = [];
    for (const h of hosts) {
      if (!('host' in h.address)) continue;
      const literal = isIP(h.address.host) !== 0;
      this.#targets.push({
        config: h as Target['config'],
        name: literal ? undefined : h.address.host,
        hosts: literal ? [h] : undefined,
        timer: undefined,
      });
    }
  }

  /** Resolve every name once (answered or failed), publish the hosts, then refresh on timers. */
  async start(): Promise<void> {
    this.#stopped = false;
    const r = this.config.resolver;
    this.#resolver = new Resolver({ timeout: r.timeoutMs, tries: r.attempts });
    if (r.servers.length > 0) this.#resolver.setServers(r.servers);
    this.#publish();
    await Promise.all(this.#targets.filter((t) => t.name !== undefined).map((t) => this.#refresh(t)));
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#targets) {
      if (t.timer !== undefined) clearTimeout(t.timer);
      t.timer = undefined;
    }
    this.#resolver?.cancel();
    this.#resolver = undefined;
  }

  /** Resolve one target, keep its answer if good, and schedule the next refresh. */
  async #refresh(t: Target): Promise<void> {
    t.timer = undefined;
    const resolver = this.#resolver;
    if (this.#stopped || resolver === undefined) return;
    let answers: Answer[] | undefined;
    let error: string | undefined;
    try {
      answers = await this.#resolve(resolver, t.name!);
    } catch (e) {
      error = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
    if (this.#stopped) return;
    let minTtl = 0;
    if (answers !== undefined && answers.length > 0) {
      this.#stats?.inc(this.#prefix + DNS.resolve_success);
      minTtl = Math.min(...answers.map((a) => a.ttl));
      const port = t.config.address.port;
      const seen = new Set<string>();
      const hosts: HostConfig[] = [];
      for (const a of answers) {
        if (seen.has(a.address)) continue;
        seen.add(a.address);
        hosts.push({ ...t.config, address: { host: a.address, port } });
      }
      hosts.sort((x, y) => ('host' in x.address && 'host' in y.address ? x.address.host.localeCompare(y.address.host) : 0));
      t.hosts = hosts;
      this.#publish();
    } else {
      this.#stats?.inc(this.#prefix + (error === undefined ? DNS.resolve_empty : DNS.resolve_failure));
      this.#log.warn(
        { name: t.name, error, kept: t.hosts?.map((h) => ('host' in h.address ? h.address.host : '')) ?? [] },
        t.hosts === undefined ? 'DNS resolution failed; the name has no hosts yet' : 'DNS resolution failed; keeping the last good answer',
      );
    }
    if (this.#stopped) return;
    const delay = this.config.respectTtl && minTtl > 0 ? (minTtl + 1) * 1000 : this.config.refreshMs;
    t.timer = setTimeout(() => void this.#refresh(t), delay);
    t.timer.unref();
  }

  /** The addresses of `name` per the lookup family, trying the search domains as resolv.conf would. */
  async #resolve(resolver: Resolver, name: string): Promise<Answer[]> {
    let lastError: unknown;
    let answered = false;
    for (const candidate of nameList(name, this.config.resolver)) {
      try {
        const found = await this.#query(resolver, candidate);
        answered = true;
        if (found.length > 0) return found;
      } catch (e) {
        lastError = e;
      }
    }
    if (!answered && lastError !== undefined) throw lastError;
    return [];
  }

  async #query(resolver: Resolver, name: string): Promise<Answer[]> {
    const v4 = () => resolver.resolve4(name, { ttl: true });
    const v6 = () => resolver.resolve6(name, { ttl: true });
    switch (this.config.family) {
      case 'V4_ONLY':
        return orEmpty(v4());
      case 'V6_ONLY':
        return orEmpty(v6());
      case 'ALL': {
        const [a, b] = await Promise.allSettled([orEmpty(v4()), orEmpty(v6())]);
        if (a.status === 'rejected' && b.status === 'rejected') throw a.reason;
        return [...(a.status === 'fulfilled' ? a.value : []), ...(b.status === 'fulfilled' ? b.value : [])];
      }
      case 'AUTO': {
        const six = await orEmpty(v6()).catch(() => []);
        return six.length > 0 ? six : orEmpty(v4());
      }
      case 'V4_PREFERRED': {
        const four = await orEmpty(v4()).catch(() => []);
        return four.length > 0 ? four : orEmpty(v6());
      }
    }
  }

  /** Every target's hosts, in config order; a name never resolved contributes none. */
  #publish(): void {
    const all: HostConfig[] = [];
    for (const t of this.#targets) if (t.hosts) all.push(...t.hosts);
    if (this.cluster.updateHosts(all)) {
      this.#log.info({ hosts: this.cluster.hosts.map((h) => h.addressText) }, 'hosts changed by DNS');
    }
  }
}

/** "No such name" and "no records of this type" are empty answers, not failures of the server. */
async function orEmpty(p: Promise<Answer[]>): Promise<Answer[]> {
  try {
    return await p;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENODATA' || code === 'ENOTFOUND') return [];
    throw e;
  }
}

/** The names to try for `name`, as a resolv.conf-style client does with `search` and `ndots`. */
export function nameList(name: string, r: Pick<DnsResolverSettings, 'search' | 'ndots'>): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  if (r.search.length === 0) return [name];
  const dots = name.split('.').length - 1;
  const searched = r.search.map((s) => `${name}.${s.replace(/^\.|\.$/g, '')}`);
  return dots >= r.ndots ? [name, ...searched] : [...searched, name];
}
