import type { Logger, Stats } from '@mosn/proxy';
import {
  ZkSession,
  consumersPath,
  dubboProviderUrl,
  parseProvider,
  providerMatches,
  providerNode,
  providersPath,
  sofaProviderUrl,
  type Provider,
} from '@mosn/registry-zookeeper';
import type { ApplyResult } from '../mosn.js';
import type { LayerSource } from '../runtime/config-edit.js';
import { RegistryApi } from './api.js';
import type { DubboPublication, DubboSubscription, RegistryAddress, RegistryConfig, SofaSubscription } from './config.js';
import { SofaMeshApi, type SofaPublication } from './sofa-api.js';
import { DUBBO_ROUTER, registryLayer, registryRouterNames, type RegistryClusterPlan } from './layer.js';

/** How long `/sub` and `/pub` wait for a registry they have not reached yet (MOSN's registry timeout: 5 s). */
const CONNECT_TIMEOUT_MS = 5000;

/** The part of Mosn the registry uses. */
export interface RegistryTarget {
  applyLayer(source: string, layer: LayerSource, origin?: string): Promise<ApplyResult>;
  readonly stats: Stats;
}

/** One followed provider list: a cluster's host source. */
interface Subscription {
  readonly cluster: string;
  readonly registry: RegistryAddress;
  readonly path: string;
  readonly matches: (p: Provider) => boolean;
  readonly route?: { router: string; service: string };
  readonly describe: Record<string, string>;
  providers: Provider[];
  /** The first list has been read. */
  loaded: boolean;
  unwatch: () => void;
  /** Our consumer node (Dubbo `/sub` registers one, as dubbo-go does). */
  consumerNode?: string;
}

/** What `/api/v1/config_dump` shows under `registry`. */
export interface RegistryStatus {
  api?: string;
  sofa_api?: string;
  app_name?: string;
  sessions: { address: string; connected: boolean }[];
  subscriptions: { cluster: string; registry: string; path: string; providers: string[]; [k: string]: unknown }[];
  publications: { registry: string; url: string }[];
}

/**
 * The service registry as a source of Mosn's config: ZooKeeper provider lists followed (one session per registry
 * address), each the host source of a cluster; the clusters (and their routes) are Mosn's `registry` layer,
 * applied after a burst of changes settles (`debounce`). While a registry is unreachable nothing is applied:
 * clusters keep the hosts they had. Dubbo services are subscribed and published by MOSN's HTTP API (`RegistryApi`)
 * or the config; SOFARPC services by the config.
 */
export class RegistrySource {
  readonly #config: RegistryConfig;
  readonly #target: RegistryTarget;
  readonly #log: Logger;
  readonly #sessions = new Map<string, ZkSession>();
  readonly #subs = new Map<string, Subscription>();
  /** Published provider nodes, by registry, interface, group and version. */
  readonly #pubs = new Map<string, { registry: string; path: string; url: string }>();
  #api: RegistryApi | undefined;
  #sofaApi: SofaMeshApi | undefined;
  /** The app's name, from SOFA's `/configs/application`. */
  #appName = '';
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** The layer: a function of the file's config, evaluated at each apply (so a reload keeps the registry's routes). */
  readonly #layer: LayerSource = (base) => registryLayer(base, this.#plans(), registryRouterNames(this.#config));

  constructor(config: RegistryConfig, target: RegistryTarget, logger: Logger) {
    this.#config = config;
    this.#target = target;
    this.#log = logger.child({ component: 'registry' });
  }

  /** Apply the layer (the `dubbo` router, the configured subscriptions' clusters), follow them, start the API. */
  async start(): Promise<void> {
    for (const s of this.#config.dubbo?.subscriptions ?? []) this.#subscribeDubbo(s);
    const sofa = this.#config.sofa;
    for (const s of sofa?.subscriptions ?? []) this.#subscribeSofa(sofa!.registry, sofa!.root, sofa!.router, s);
    const result = await this.#target.applyLayer('registry', this.#layer, 'registry start');
    if (!result.ok) this.#log.error({ problems: result.problems }, 'registry: the registry clusters were refused');
    if (this.#config.dubbo) {
      this.#api = new RegistryApi(this, this.#log);
      await this.#api.listen(this.#config.dubbo.api);
    }
    if (sofa?.api) {
      this.#sofaApi = new SofaMeshApi(this, this.#log);
      await this.#sofaApi.listen(sofa.api);
    }
  }

  /** End every session (their ephemeral nodes go), stop the APIs. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const s of this.#sessions.values()) s.close(); // our ephemeral nodes (publications, consumers) go with the sessions
    this.#sessions.clear();
    void this.#api?.close();
    void this.#sofaApi?.close();
  }

  /** The Dubbo API's bound address. */
  get apiAddress(): { host: string; port: number } | undefined {
    return this.#api?.address;
  }

  /** SOFA's mesh API's bound address. */
  get sofaApiAddress(): { host: string; port: number } | undefined {
    return this.#sofaApi?.address;
  }

  status(): RegistryStatus {
    const api = this.#api?.address;
    const sofaApi = this.#sofaApi?.address;
    return {
      ...(api ? { api: `${api.host}:${api.port}` } : {}),
      ...(sofaApi ? { sofa_api: `${sofaApi.host}:${sofaApi.port}`, app_name: this.#appName } : {}),
      sessions: [...this.#sessions.values()].map((s) => ({ address: s.address, connected: s.connected })),
      subscriptions: [...this.#subs.values()].map((s) => ({
        cluster: s.cluster,
        registry: s.registry.addr,
        path: s.path,
        ...s.describe,
        providers: s.providers.map((p) => `${p.host}:${p.port}`),
      })),
      publications: [...this.#pubs.values()].map((p) => ({ registry: p.registry, url: p.url })),
    };
  }

  // ------------------------------------------------------------------------------------------------------------
  // Dubbo: MOSN's /sub, /unsub, /pub, /unpub

  /** `/sub`: follow the interface's providers (of the version and group asked for) as cluster `<interface>`. */
  async subscribe(sub: DubboSubscription): Promise<void> {
    const session = this.#session(sub.registry);
    await session.ready(CONNECT_TIMEOUT_MS);
    this.#subscribeDubbo(sub);
    this.#schedule(0);
  }

  /** `/unsub`: stop following; the cluster and its route go (MOSN keeps both, frozen: see compat.md). */
  async unsubscribe(sub: DubboSubscription): Promise<void> {
    const s = this.#subs.get(sub.interface);
    if (!s) throw new Error(`${sub.interface} is not subscribed`);
    this.#drop(s);
    this.#schedule(0);
  }

  /** `/pub`: publish mosn's ingress (`publish_ip`:`server_port`) as a provider of the interface. */
  async publish(pub: DubboPublication): Promise<void> {
    const dubbo = this.#config.dubbo!;
    const url = dubboProviderUrl({ host: dubbo.publishIp, port: dubbo.serverPort, interface: pub.interface, version: pub.version, group: pub.group, methods: pub.methods });
    await this.#publish(pub.registry, pubKey(pub), `${providersPath('dubbo', pub.interface)}/${providerNode(url)}`, url);
  }

  /** `/unpub`: remove what `/pub` published for that registry, interface, group and version. */
  async unpublish(pub: DubboPublication): Promise<void> {
    await this.#unpublish(pub.registry, pubKey(pub), `${pub.interface} (group "${pub.group}", version "${pub.version}") is not published on ${pub.registry.addr}`);
  }

  // ------------------------------------------------------------------------------------------------------------
  // SOFARPC: SOFA's mesh registry API (SOFARPC Java's MeshRegistry client)

  /** `/configs/application`: the app's name (published with its services). */
  sofaApplication(appName: string): void {
    this.#appName = appName;
  }

  /** `/services/subscribe`: follow the service as cluster `<service>`; the provider URLs known now. */
  async sofaSubscribe(sub: SofaSubscription): Promise<string[]> {
    const sofa = this.#config.sofa!;
    await this.#session(sofa.registry).ready(CONNECT_TIMEOUT_MS);
    const old = this.#subs.get(sub.service);
    if (old) this.#drop(old);
    const s = this.#subscribeSofa(sofa.registry, sofa.root, sofa.router, sub);
    const end = Date.now() + CONNECT_TIMEOUT_MS;
    while (!s.loaded && Date.now() < end && !this.#closed) await new Promise((r) => setTimeout(r, 10));
    this.#schedule(0);
    return s.providers.map((p) => p.url);
  }

  /** `/services/unsubscribe`: stop following; the cluster and its route go. */
  async sofaUnsubscribe(service: string): Promise<void> {
    const s = this.#subs.get(service);
    if (!s) throw new Error(`${service} is not subscribed`);
    this.#drop(s);
    this.#schedule(0);
  }

  /** `/services/publish`: publish mosn's ingress (`publish_ip`:`server_port`) as a provider of the service. */
  async sofaPublish(pub: SofaPublication): Promise<void> {
    const sofa = this.#config.sofa!;
    const api = sofa.api!;
    if (api.serverPort === undefined) throw new Error('sofa_registry has no server_port: there is no ingress to publish');
    const s = pub.service;
    const url = sofaProviderUrl({
      host: api.publishIp,
      port: api.serverPort,
      interface: s.interface,
      version: s.version,
      uniqueId: s.uniqueId,
      ...(s.group ? { group: s.group } : {}),
      protocol: pub.protocol,
      serialization: pub.serialization,
      appName: pub.appName || this.#appName,
    });
    await this.#publish(sofa.registry, `sofa|${s.service}|${s.group}`, `${providersPath('sofa', s.interface, sofa.root)}/${providerNode(url)}`, url);
  }

  /** `/services/unpublish`. */
  async sofaUnpublish(service: string, group: string): Promise<void> {
    await this.#unpublish(this.#config.sofa!.registry, `sofa|${service}|${group}`, `${service} is not published`);
  }

  /** Make an own provider node (replacing the one published before under `key`). */
  async #publish(registry: RegistryAddress, key: string, path: string, url: string): Promise<void> {
    const session = this.#session(registry);
    await session.ready(CONNECT_TIMEOUT_MS);
    const old = this.#pubs.get(key);
    await session.register(path);
    this.#pubs.set(key, { registry: registry.addr, path, url });
    if (old && old.path !== path) await session.unregister(old.path);
    this.#target.stats.set('registry.publications', this.#pubs.size);
    this.#log.info({ registry: registry.addr, url }, 'registry: published');
  }

  async #unpublish(registry: RegistryAddress, key: string, notPublished: string): Promise<void> {
    const p = this.#pubs.get(key);
    if (!p) throw new Error(notPublished);
    const session = this.#session(registry);
    await session.ready(CONNECT_TIMEOUT_MS);
    await session.unregister(p.path);
    this.#pubs.delete(key);
    this.#target.stats.set('registry.publications', this.#pubs.size);
    this.#log.info({ registry: registry.addr, url: p.url }, 'registry: unpublished');
  }

  #subscribeDubbo(sub: DubboSubscription): void {
    const old = this.#subs.get(sub.interface);
    if (old) this.#drop(old);
    const filter = { interface: sub.interface, version: sub.version, group: sub.group, protocol: 'dubbo' };
    const s = this.#follow({
      cluster: sub.interface,
      registry: sub.registry,
      path: providersPath('dubbo', sub.interface),
      matches: (p) => providerMatches(p, filter),
      route: { router: DUBBO_ROUTER, service: sub.interface },
      describe: { interface: sub.interface, version: sub.version, group: sub.group },
    });
    // dubbo-go registers the consumer too (/dubbo/<interface>/consumers/<consumer://...>)
    const params = new URLSearchParams({ category: 'consumers', check: 'false', interface: sub.interface, methods: sub.methods.join(','), pid: String(process.pid), side: 'consumer', timestamp: String(Date.now()) });
    if (sub.group) params.set('group', sub.group);
    if (sub.version) params.set('version', sub.version);
    params.sort();
    const node = `${consumersPath('dubbo', sub.interface)}/${providerNode(`consumer://${this.#config.dubbo?.publishIp ?? '127.0.0.1'}/${sub.interface}?${params.toString()}`)}`;
    s.consumerNode = node;
    this.#session(sub.registry).register(node).catch((e: unknown) => this.#log.warn({ err: e, node }, 'registry: could not register the consumer node'));
  }

  #subscribeSofa(registry: RegistryAddress, root: string, router: string | undefined, sub: SofaSubscription): Subscription {
    const filter = { interface: sub.interface, version: sub.version, group: sub.group };
    return this.#follow({
      cluster: sub.service,
      registry,
      path: providersPath('sofa', sub.interface, root),
      matches: (p) => providerMatches(p, filter) && p.uniqueId === sub.uniqueId,
      ...(router ? { route: { router, service: sub.service } } : {}),
      describe: { service: sub.service, group: sub.group },
    });
  }

  #follow(o: Omit<Subscription, 'providers' | 'loaded' | 'unwatch'>): Subscription {
    const s: Subscription = { ...o, providers: [], loaded: false, unwatch: () => {} };
    this.#subs.set(s.cluster, s);
    const stat = `registry.subscription.${s.cluster}`;
    this.#target.stats.set(`${stat}.providers`, 0);
    s.unwatch = this.#session(s.registry).watchChildren(s.path, (nodes) => {
      if (this.#subs.get(s.cluster) !== s) return;
      s.loaded = true;
      let invalid = 0;
      const providers = nodes.flatMap((n) => {
        const p = parseProvider(n);
        if (!p) invalid++;
        return p && s.matches(p) ? [p] : [];
      });
      // a node that is no provider URL is a registry error of this subscription: counted, said once per list
      this.#target.stats.set(`${stat}.invalid_providers`, invalid);
      if (invalid > 0) this.#log.warn({ cluster: s.cluster, path: s.path, invalid }, 'registry: provider nodes that are no provider URL; left out');
      const before = s.providers.map((p) => `${p.host}:${p.port}|${p.weight}|${p.version}|${p.group}`).join(',');
      s.providers = providers;
      this.#target.stats.set(`${stat}.providers`, providers.length);
      if (providers.map((p) => `${p.host}:${p.port}|${p.weight}|${p.version}|${p.group}`).join(',') === before) return;
      this.#target.stats.inc(`${stat}.updates`);
      this.#log.info({ cluster: s.cluster, providers: providers.map((p) => `${p.host}:${p.port}`) }, 'registry: providers changed');
      this.#schedule(this.#config.debounceMs);
    });
    return s;
  }

  #drop(s: Subscription): void {
    s.unwatch();
    this.#subs.delete(s.cluster);
    if (s.consumerNode) this.#session(s.registry).unregister(s.consumerNode).catch(() => {});
  }

  #session(registry: RegistryAddress): ZkSession {
    let s = this.#sessions.get(registry.addr);
    if (!s) {
      s = new ZkSession({
        address: registry.addr,
        sessionTimeoutMs: this.#config.sessionTimeoutMs,
        watchdogMs: Math.max(2000, Math.min(10_000, this.#config.sessionTimeoutMs)),
        logger: this.#log,
        count: (event) => this.#target.stats.inc(`registry.zookeeper.${event}`),
        ...(registry.username ? { auth: { scheme: 'digest', data: `${registry.username}:${registry.password}` } } : {}),
      });
      this.#sessions.set(registry.addr, s);
      s.start();
    }
    return s;
  }

  #plans(): RegistryClusterPlan[] {
    return [...this.#subs.values()].map((s) => ({ name: s.cluster, providers: s.providers, ...(s.route ? { route: s.route } : {}) }));
  }

  /** Apply the layer once the burst settles: changes within `ms` of the first are one apply. */
  #schedule(ms: number): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.#target
        .applyLayer('registry', this.#layer, 'registry')
        .then((r) => {
          if (r.ok) return;
          this.#target.stats.inc('registry.apply_failed');
          this.#log.error({ problems: r.problems.slice(0, 20) }, 'registry: the new hosts were refused; the clusters keep their hosts');
        })
        .catch((e: unknown) => this.#log.error({ err: e }, 'registry: apply failed'));
    }, ms);
  }
}

function pubKey(p: DubboPublication): string {
  return `${p.registry.addr}|${p.interface}|${p.group}|${p.version}`;
}
