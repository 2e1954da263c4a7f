import type { XdsResource } from './ads-client.js';
import { ConvertContext, ConvertProblems, type ConvertProblem, type MosnJson } from './convert/context.js';
import { convertCluster } from './convert/cluster.js';
import { convertClusterLoadAssignment } from './convert/endpoint.js';
import { convertListener } from './convert/listener.js';
import { convertRouteConfiguration } from './convert/route.js';
import { withHttp2Upstreams } from './convert/route-upstream.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SHORT_NAME, type ResourceType } from './type-urls.js';

/** What the xDS resources add to MOSN's config: sections in MOSN's JSON, ready to be read and applied. */
export interface XdsSections {
  readonly listeners: readonly MosnJson[];
  readonly routers: readonly MosnJson[];
  readonly clusters: readonly MosnJson[];
}

interface StoredCluster {
  readonly json: MosnJson;
  /** For EDS clusters: the ClusterLoadAssignment name its hosts come from. */
  readonly eds: string | undefined;
  /** HTTP/2 upstream: the routes to it say so. */
  readonly http2: boolean;
  /** When this version of the cluster arrived: its warming ends with its endpoints or `initialFetchTimeoutMs` after. */
  readonly since: number;
}

interface StoredListener {
  readonly json: MosnJson;
  /** Route configurations it needs by RDS. */
  readonly rds: readonly string[];
  /** Its inline route configurations, converted. */
  readonly inline: readonly MosnJson[];
  readonly since: number;
}

/** The accepted resources of every type (an immutable value: a response makes a new one). */
export interface StoreState {
  readonly versions: ReadonlyMap<ResourceType, string>;
  readonly clusters: ReadonlyMap<string, StoredCluster>;
  readonly endpoints: ReadonlyMap<string, readonly MosnJson[]>;
  readonly listeners: ReadonlyMap<string, StoredListener>;
  readonly routes: ReadonlyMap<string, MosnJson>;
}

/** A response converted: the store it would make, or why it is refused. Warnings either way. */
export type Proposal =
  | { readonly ok: true; readonly next: StoreState; readonly warnings: readonly ConvertProblem[] }
  | { readonly ok: false; readonly error: string; readonly warnings: readonly ConvertProblem[] };

export interface ResourceStoreOptions {
  /** How long a new cluster waits for its endpoints, and a new listener for its routes (Envoy's `initial_fetch_timeout`, 15 s; 0: no limit). */
  initialFetchTimeoutMs: number;
  /** Static clusters that speak HTTP/2 upstream (routes to them get `upstream_protocol: Http2`). */
  http2Clusters?: ReadonlySet<string>;
  /** Names the file or bootstrap config already uses: a dynamic resource may not take them. */
  reserved?: { listeners?: ReadonlySet<string>; clusters?: ReadonlySet<string>; routers?: ReadonlySet<string> };
  now?: () => number;
}

const EMPTY: StoreState = { versions: new Map(), clusters: new Map(), endpoints: new Map(), listeners: new Map(), routes: new Map() };

/**
 * The xDS resources mosn has accepted, converted to MOSN's JSON, and what of them is ready to serve. Warming as
 * Envoy: a new EDS cluster waits for its endpoints and a new listener for its RDS routes (each at most
 * `initialFetchTimeoutMs`) before it is applied; while an updated one warms, the version applied before keeps
 * serving, so a push never produces errors from half-arrived state.
 */
export class ResourceStore {
  readonly #options: ResourceStoreOptions;
  readonly #now: () => number;
  #state: StoreState = EMPTY;
  /** What the last applied sections held, by name (the fallback while an update warms). */
  #appliedClusters = new Map<string, { json: MosnJson; eds: string | undefined }>();
  #appliedListeners = new Map<string, StoredListener>();

  constructor(options: ResourceStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The accepted state (to commit again with new sections after a warming timeout). */
  get accepted(): StoreState {
    return this.#state;
  }

  /** The accepted version of each type (`LDS` → `"7"`). */
  versions(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [type, v] of this.#state.versions) out[SHORT_NAME[type]] = v;
    return out;
  }

  /** Convert one response into the store it would make. Nothing changes until `commit`. */
  propose(type: ResourceType, version: string, resources: readonly XdsResource[]): Proposal {
    const problems = new ConvertProblems();
    const s = this.#state;
    const now = this.#now();
    const versions = new Map(s.versions).set(type, version);
    let next: StoreState;
    switch (type) {
      case CLUSTER_TYPE: {
        const clusters = new Map<string, StoredCluster>();
        for (const r of resources) {
          const ctx = new ConvertContext(problems, `Cluster ${JSON.stringify(r.name)}`);
          if (this.#options.reserved?.clusters?.has(r.name)) ctx.error('a static cluster of this name exists; xDS may not replace it');
          const converted = convertCluster(r.message, ctx);
          if (!converted) continue;
          const before = s.clusters.get(r.name);
          const http2 = converted.http2 === true;
          const same = before !== undefined && JSON.stringify(before.json) === JSON.stringify(converted.cluster) && before.eds === converted.eds?.serviceName && before.http2 === http2;
          clusters.set(r.name, same ? before : { json: converted.cluster, eds: converted.eds?.serviceName, http2, since: now });
        }
        next = { ...s, versions, clusters };
        break;
      }
      case ENDPOINT_TYPE: {
        const endpoints = new Map(s.endpoints);
        for (const r of resources) endpoints.set(r.name, convertClusterLoadAssignment(r.message, new ConvertContext(problems, `ClusterLoadAssignment ${JSON.stringify(r.name)}`)));
        next = { ...s, versions, endpoints };
        break;
      }
      case LISTENER_TYPE: {
        const listeners = new Map<string, StoredListener>();
        for (const r of resources) {
          const ctx = new ConvertContext(problems, `Listener ${JSON.stringify(r.name)}`);
          if (this.#options.reserved?.listeners?.has(r.name)) ctx.error('a static listener of this name exists; xDS may not replace it');
          const converted = convertListener(r.message, ctx);
          if (!converted) continue;
          const rds: string[] = [];
          const inline: MosnJson[] = [];
          for (const [i, route] of converted.routes.entries()) {
            if (route.kind === 'rds') rds.push(route.name);
            else {
              const router = convertRouteConfiguration(route.routeConfiguration, ctx.at(`route_config[${i}]`), { name: route.name });
              if (router) inline.push({ ...router, router_config_name: route.name });
            }
          }
          const before = s.listeners.get(r.name);
          const same = before !== undefined && JSON.stringify([before.json, before.rds, before.inline]) === JSON.stringify([converted.listener, rds, inline]);
          listeners.set(r.name, same ? before : { json: converted.listener, rds, inline, since: now });
        }
        next = { ...s, versions, listeners };
        break;
      }
      case ROUTE_TYPE: {
        const routes = new Map(s.routes);
        for (const r of resources) {
          const ctx = new ConvertContext(problems, `RouteConfiguration ${JSON.stringify(r.name)}`);
          if (this.#options.reserved?.routers?.has(r.name)) ctx.error('a static router of this name exists; xDS may not replace it');
          const router = convertRouteConfiguration(r.message, ctx);
          if (router) routes.set(r.name, { ...router, router_config_name: r.name });
        }
        next = { ...s, versions, routes };
        break;
      }
    }
    if (problems.errors.length > 0) return { ok: false, error: describeProblems(problems.errors), warnings: problems.warnings };
    return { ok: true, next: this.#collect(next), warnings: problems.warnings };
  }

  /** The sections that would serve with `state` (default: the accepted one): ready resources, and the applied version of warming ones. */
  sections(state: StoreState = this.#state): XdsSections {
    const now = this.#now();
    const limit = this.#options.initialFetchTimeoutMs;
    const timedOut = (since: number) => limit > 0 && now - since >= limit;
    const clusters: MosnJson[] = [];
    for (const [name, c] of state.clusters) {
      if (c.eds === undefined) clusters.push(c.json);
      else {
        const hosts = state.endpoints.get(c.eds);
        if (hosts !== undefined || timedOut(c.since)) clusters.push({ ...c.json, hosts: hosts ?? [] });
        else {
          const applied = this.#appliedClusters.get(name);
          if (applied) clusters.push(applied.json);
        }
      }
    }
    const listeners: StoredListener[] = [];
    for (const [name, l] of state.listeners) {
      if (l.rds.every((r) => state.routes.has(r)) || timedOut(l.since)) listeners.push(l);
      else {
        const applied = this.#appliedListeners.get(name);
        if (applied) listeners.push(applied);
      }
    }
    const routers = new Map<string, MosnJson>();
    for (const l of listeners) {
      // A route configuration that never came (its warming timed out) serves as an empty table: 404 for every request.
      for (const name of l.rds) routers.set(name, state.routes.get(name) ?? { router_config_name: name, virtual_hosts: [] });
      for (const router of l.inline) routers.set(String(router['router_config_name']), router);
    }
    const http2 = new Set([...(this.#options.http2Clusters ?? []), ...[...state.clusters].filter(([, c]) => c.http2).map(([n]) => n)]);
    return { clusters, listeners: listeners.map((l) => l.json), routers: withHttp2Upstreams([...routers.values()], http2) };
  }

  /** Make `next` the accepted state, and `applied` (its sections, as applied) the fallback for what warms later. */
  commit(next: StoreState, applied: XdsSections): void {
    this.#state = next;
    const clusterNames = new Set(applied.clusters.map((c) => String(c['name'])));
    this.#appliedClusters = new Map([...next.clusters].filter(([n]) => clusterNames.has(n)).map(([n, c]) => [n, { json: applied.clusters.find((a) => a['name'] === n)!, eds: c.eds }]));
    const listenerNames = new Set(applied.listeners.map((l) => String(l['name'])));
    const keep = new Map<string, StoredListener>();
    for (const name of listenerNames) {
      const current = next.listeners.get(name);
      const served = applied.listeners.find((l) => l['name'] === name);
      if (current && JSON.stringify(current.json) === JSON.stringify(served)) keep.set(name, current);
      else {
        const before = this.#appliedListeners.get(name);
        if (before) keep.set(name, before);
      }
    }
    this.#appliedListeners = keep;
  }

  /** The names to subscribe to: route configurations the listeners need, load assignments the EDS clusters need. */
  subscriptions(state: StoreState = this.#state): { routes: string[]; endpoints: string[] } {
    const routes = new Set<string>();
    for (const l of [...state.listeners.values(), ...this.#appliedListeners.values()]) for (const r of l.rds) routes.add(r);
    const endpoints = new Set<string>();
    for (const c of [...state.clusters.values(), ...this.#appliedClusters.values()]) if (c.eds !== undefined) endpoints.add(c.eds);
    return { routes: [...routes].sort(), endpoints: [...endpoints].sort() };
  }

  /** When the earliest warming resource times out (to apply again then), or undefined when nothing warms. */
  warmingDeadline(): number | undefined {
    if (this.#options.initialFetchTimeoutMs <= 0) return undefined;
    const s = this.#state;
    let earliest: number | undefined;
    const consider = (since: number) => {
      const at = since + this.#options.initialFetchTimeoutMs;
      if (earliest === undefined || at < earliest) earliest = at;
    };
    for (const c of s.clusters.values()) if (c.eds !== undefined && !s.endpoints.has(c.eds)) consider(c.since);
    for (const l of s.listeners.values()) if (!l.rds.every((r) => s.routes.has(r))) consider(l.since);
    return earliest;
  }

  /** Drop route configurations and load assignments nothing subscribes to any more. */
  #collect(state: StoreState): StoreState {
    const wanted = this.subscriptions(state);
    const routes = new Set(wanted.routes);
    const endpoints = new Set(wanted.endpoints);
    return {
      ...state,
      routes: new Map([...state.routes].filter(([n]) => routes.has(n))),
      endpoints: new Map([...state.endpoints].filter(([n]) => endpoints.has(n))),
    };
  }
}

/** The NACK's error_detail: every error with its path (the first 20; the count of the rest). */
function describeProblems(errors: readonly ConvertProblem[]): string {
  const shown = errors.slice(0, 20).map((e) => `${e.path}: ${e.message}`);
  if (errors.length > 20) shown.push(`(${errors.length - 20} more)`);
  return shown.join('; ');
}
