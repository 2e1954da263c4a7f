import type { Logger, Stats } from '@mosn/proxy';
import {
  AdsClient,
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  ROUTE_TYPE,
  ResourceStore,
  SHORT_NAME,
  type ResourceType,
  type XdsNode,
  type XdsResource,
  type XdsSections,
} from '@mosn/xds';
import { messageFromJson } from '@mosn/xds';
import type { MosnConfig, XdsConfig } from '../config/types.js';
import type { ApplyResult } from '../mosn.js';
import type { SectionLayer } from '../runtime/config-edit.js';

/** How many distinct converter warnings are remembered (not logged again) before the memory starts over. */
const MAX_REMEMBERED_WARNINGS = 10_000;

/** What the xDS source needs to know, from the bootstrap (`dynamic_resources`, `static_resources`, `node`) and the flags. */
export interface XdsSettings {
  readonly node: XdsNode;
  /** The control plane as a @grpc/grpc-js target. */
  readonly target: string;
  /** The bootstrap's name for it (for the logs). */
  readonly clusterName: string;
  readonly initialFetchTimeoutMs: number;
  /** The bootstrap's static listeners and clusters, converted: always served, never replaced by xDS. */
  readonly staticSections: XdsSections;
  readonly staticHttp2Clusters: ReadonlySet<string>;
  /** Names xDS may not take (the file's and the bootstrap's own listeners, routers and clusters). */
  readonly reserved: { listeners: ReadonlySet<string>; routers: ReadonlySet<string>; clusters: ReadonlySet<string> };
}

/** The part of Mosn the xDS source uses: it applies a layer of sections over the file's config. */
export interface LayerTarget {
  applyLayer(source: string, layer: SectionLayer, origin?: string): Promise<ApplyResult>;
  readonly stats: Stats;
}

/** What `/api/v1/config_dump` shows of xDS under `xds`. */
export interface XdsStatus {
  control_plane: { cluster: string; target: string; connected: boolean };
  node: { id: string; cluster: string };
  versions: Record<string, string>;
  resources: { listeners: string[]; routes: string[]; clusters: string[]; endpoints: string[] };
  last_nack?: { type: string; version: string; error: string; at: string };
}

/**
 * mosn under a control plane: one ADS stream (LDS and CDS by wildcard, RDS and EDS by the names in use), each
 * response converted (@mosn/xds), kept in a ResourceStore (warming), and applied as the `xds` layer of Mosn's
 * config: read and checked whole, only what differs changes. A response that does not convert or whose result
 * the readers refuse is NACKed and changes nothing.
 */
export class XdsSource {
  readonly #settings: XdsSettings;
  readonly #target: LayerTarget;
  readonly #log: Logger;
  readonly #store: ResourceStore;
  readonly #client: AdsClient;
  /** Responses and warming timeouts change the store one at a time. */
  #chain: Promise<unknown> = Promise.resolve();
  #warming: NodeJS.Timeout | undefined;
  #lastNack: XdsStatus['last_nack'];
  #warned = new Set<string>();
  #closed = false;

  constructor(settings: XdsSettings, target: LayerTarget, logger: Logger) {
    this.#settings = settings;
    this.#target = target;
    this.#log = logger.child({ component: 'xds' });
    this.#store = new ResourceStore({ initialFetchTimeoutMs: settings.initialFetchTimeoutMs, reserved: settings.reserved, http2Clusters: settings.staticHttp2Clusters });
    this.#client = new AdsClient({
      target: settings.target,
      node: settings.node,
      logger: this.#log,
      onResponse: (type, version, resources) => this.#serialized(() => this.#onResponse(type, version, resources)),
      count: (name) => target.stats.inc(name),
    });
  }

  /** Serve the static sections, then open the stream and subscribe to every listener and cluster. */
  async start(): Promise<void> {
    const result = await this.#target.applyLayer('xds', this.#layer({ listeners: [], routers: [], clusters: [] }), 'xds bootstrap');
    if (!result.ok) this.#log.error({ problems: result.problems }, 'xds: the bootstrap static resources were refused');
    this.#client.subscribe(CLUSTER_TYPE, undefined);
    this.#client.subscribe(LISTENER_TYPE, undefined);
    this.#client.start();
    this.#log.info({ target: this.#settings.target, cluster: this.#settings.clusterName, node: this.#settings.node.id }, 'xds: connecting to the control plane');
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#warming);
    this.#client.close();
  }

  status(): XdsStatus {
    const sections = this.#store.sections();
    const subs = this.#store.subscriptions();
    return {
      control_plane: { cluster: this.#settings.clusterName, target: this.#settings.target, connected: this.#client.connected },
      node: { id: this.#settings.node.id, cluster: this.#settings.node.cluster },
      versions: this.#store.versions(),
      resources: {
        listeners: sections.listeners.map((l) => String(l['name'])),
        routes: sections.routers.map((r) => String(r['router_config_name'])),
        clusters: sections.clusters.map((c) => String(c['name'])),
        endpoints: subs.endpoints,
      },
      ...(this.#lastNack ? { last_nack: this.#lastNack } : {}),
    };
  }

  #serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(work);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** Convert, apply, and say ACK (undefined) or why NACK. */
  async #onResponse(type: ResourceType, version: string, resources: readonly XdsResource[]): Promise<string | undefined> {
    const name = SHORT_NAME[type];
    const proposal = this.#store.propose(type, version, resources);
    for (const w of proposal.warnings) this.#warnOnce(name, version, `${w.path}: ${w.message}`);
    if (!proposal.ok) return this.#refused(name, version, proposal.error);
    const sections = this.#store.sections(proposal.next);
    const result = await this.#target.applyLayer('xds', this.#layer(sections), `xds ${name} version ${version}`);
    if (!result.ok) return this.#refused(name, version, result.problems.slice(0, 20).map((p) => `${p.path}: ${p.message}`).join('; '));
    this.#store.commit(proposal.next, sections);
    this.#log.info({ type: name, version, resources: resources.length }, `xds: ${name} version ${version} applied`);
    this.#followSubscriptions();
    return undefined;
  }

  /** A converter's warning, logged the first time it is seen (a control plane sends the same resources again and again). */
  #warnOnce(type: string, version: string, text: string): void {
    if (this.#warned.has(text)) return;
    if (this.#warned.size >= MAX_REMEMBERED_WARNINGS) this.#warned.clear();
    this.#warned.add(text);
    this.#log.warn({ type, version }, `xds: ${text}`);
  }

  #refused(type: string, version: string, error: string): string {
    this.#lastNack = { type, version, error, at: new Date().toISOString() };
    return error;
  }

  /** Subscribe to the route configurations and load assignments in use; arm the warming timeout. */
  #followSubscriptions(): void {
    const subs = this.#store.subscriptions();
    this.#client.subscribe(ROUTE_TYPE, subs.routes);
    this.#client.subscribe(ENDPOINT_TYPE, subs.endpoints);
    clearTimeout(this.#warming);
    const deadline = this.#store.warmingDeadline();
    if (deadline === undefined || this.#closed) return;
    this.#warming = setTimeout(() => {
      this.#serialized(() => this.#warmingTimedOut()).catch((e: unknown) => this.#log.error({ err: e }, 'xds: applying after a warming timeout failed'));
    }, Math.max(0, deadline - Date.now()) + 1);
  }

  /** Resources whose endpoints or routes did not come within `initial_fetch_timeout` start serving without them. */
  async #warmingTimedOut(): Promise<void> {
    if (this.#closed) return;
    const sections = this.#store.sections();
    this.#log.warn({ timeoutMs: this.#settings.initialFetchTimeoutMs }, 'xds: initial fetch timeout: resources still warming start serving (clusters without endpoints, listeners with empty route tables)');
    const result = await this.#target.applyLayer('xds', this.#layer(sections), 'xds warming timeout');
    if (result.ok) this.#store.commit(this.#store.accepted, sections);
    this.#followSubscriptions();
  }

  #layer(dynamic: XdsSections): SectionLayer {
    const s = this.#settings.staticSections;
    return {
      listeners: [...s.listeners, ...dynamic.listeners],
      routers: [...s.routers, ...dynamic.routers],
      clusters: [...s.clusters, ...dynamic.clusters],
    };
  }
}

/** The xDS source's settings from the running config: its bootstrap, and the names the file's config already uses. */
export function xdsSettings(config: MosnConfig, xds: XdsConfig): XdsSettings {
  const { bootstrap, staticSections, staticHttp2Clusters } = xds;
  const names = (list: readonly unknown[], key: string) => list.map((s) => String((s as Record<string, unknown>)[key]));
  const node = bootstrap.node;
  return {
    // the request's node is an envoy.config.core.v3.Node: its metadata a Struct
    node: {
      ...messageFromJson('envoy.config.core.v3.Node', { id: node.id, cluster: node.cluster, metadata: node.metadata, ...(node.locality ? { locality: node.locality } : {}) }, 'node').value,
      user_agent_name: 'mosn-ts',
    } as unknown as XdsNode,
    target: bootstrap.ads.target,
    clusterName: bootstrap.ads.clusterName,
    initialFetchTimeoutMs: bootstrap.ads.initialFetchTimeoutMs,
    staticSections,
    staticHttp2Clusters,
    reserved: {
      listeners: new Set([...config.listeners.map((l) => l.name), ...names(staticSections.listeners, 'name')]),
      routers: new Set([...config.routers.map((r) => r.name), ...names(staticSections.routers, 'router_config_name')]),
      clusters: new Set([...config.clusters.map((c) => c.name), ...names(staticSections.clusters, 'name')]),
    },
  };
}
