import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dubboProviderUrl, providerNode, providersPath } from '@mosn/registry-zookeeper';
import { DEMO, ORDER, VERSION, startProvider, testMethods, type TestProvider } from '../dubbo/peers.js';
import { waitUntil } from '../helpers.js';
import type { MosnProcess } from '../reload/support.js';
import { freePort, type ZooKeeper } from './zookeeper.js';

// The registry tests' harness: Dubbo providers (apache-dubbo-service, on 127.0.0.1) whose registry session is a
// process of its own (registrar.mjs: a graceful stop closes the session, a kill leaves the node to expire, as for
// a real provider process); MOSN's registry API; mosn's view of its subscriptions (config_dump).

const REGISTRAR = fileURLToPath(new URL('./registrar.mjs', import.meta.url));

export interface Registrar {
  readonly child: ChildProcess;
  /** SIGTERM: the session is closed, its nodes go at once. */
  stop(): Promise<void>;
  /** SIGKILL: the nodes stay until ZooKeeper expires the session. */
  kill(): Promise<void>;
}

/** Make `paths` ephemeral nodes of a session of their own (a child process); resolves once they are there. */
export async function registrar(zk: ZooKeeper, paths: readonly string[], cleanups: Array<() => unknown>): Promise<Registrar> {
  const child = spawn(process.execPath, [REGISTRAR, zk.address, ...paths], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  // graceful at cleanup: the session closes and its nodes go now (a killed one's would linger into the next test)
  cleanups.push(() => end('SIGTERM'));
  await waitUntil(() => out.includes('registered') || child.exitCode !== null, 10_000, 'the registrar registered', () => out);
  if (!out.includes('registered')) throw new Error(`registrar failed: ${out}`);
  return { child, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

/** The znode a Dubbo provider of `iface` at `address` registers (the layout Dubbo's registries write). */
export function dubboProviderPath(address: { host: string; port: number }, iface = DEMO, o: { version?: string; group?: string; weight?: number } = {}): string {
  const url = dubboProviderUrl({ host: address.host, port: address.port, interface: iface, version: o.version ?? VERSION, methods: Object.keys(testMethods('x')), application: 'test', ...(o.group ? { group: o.group } : {}), ...(o.weight ? { weight: o.weight } : {}) });
  return `${providersPath('dubbo', iface)}/${providerNode(url)}`;
}

export interface RegisteredProvider {
  readonly name: string;
  readonly provider: TestProvider;
  readonly registrar: Registrar;
  /** The provider's address, `127.0.0.1:port`. */
  readonly address: string;
  /** Graceful: the registry node goes first, then `close()` once `drained()` resolves (default: at once). */
  stop(drained?: () => Promise<void>): Promise<void>;
  /** Sudden death: the provider resets its connections; its node stays until the session expires. */
  kill(): Promise<void>;
}

/** An apache-dubbo-service provider of DemoService and OrderService 1.0.0 (methods `testMethods(name)`), registered in ZooKeeper as a provider of DemoService. */
export async function registeredProvider(name: string, zk: ZooKeeper, cleanups: Array<() => unknown>, o: { version?: string } = {}): Promise<RegisteredProvider> {
  const provider = await startProvider(name, { services: [{ interface: DEMO, version: VERSION }, { interface: ORDER, version: VERSION }] });
  cleanups.push(() => provider.close());
  // `version`: what its node says (the provider itself serves 1.0.0: mosn does not look into the calls' versions)
  const reg = await registrar(zk, [dubboProviderPath(provider, DEMO, { version: o.version ?? VERSION })], cleanups);
  return {
    name,
    provider,
    registrar: reg,
    address: provider.address,
    stop: async (drained) => {
      await reg.stop();
      await drained?.();
      await provider.close();
    },
    kill: async () => {
      provider.kill();
      await reg.kill();
    },
  };
}

/** MOSN's registry API: POST a JSON body (or raw text) to `path`; the status and the parsed answer. */
export async function registryApi(port: number, path: string, body: unknown, method = 'POST'): Promise<{ status: number; body: any }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (404, 405)
  }
  return { status: r.status, body: parsed };
}

/** A `/sub` or `/pub` body for DemoService. */
export function serviceBody(zk: ZooKeeper, o: { interface?: string; version?: string; group?: string } = {}): Record<string, unknown> {
  return {
    registry: { type: 'zookeeper', addr: zk.address },
    service: { interface: o.interface ?? DEMO, methods: ['whoami', 'slow'], ...(o.version !== undefined ? { version: o.version } : { version: VERSION }), ...(o.group ? { group: o.group } : {}) },
  };
}

/** The providers mosn's registry has for `cluster` (config_dump's `registry.subscriptions`). */
export async function providersSeen(mosn: MosnProcess, cluster = DEMO): Promise<string[] | undefined> {
  const dump = (await mosn.configDump()) as { registry?: { subscriptions: { cluster: string; providers: string[] }[] } };
  return dump.registry?.subscriptions.find((s) => s.cluster === cluster)?.providers.slice().sort();
}

/** The hosts of cluster `name` in mosn's running config (config_dump's `cluster_manager`). */
export async function clusterHosts(mosn: MosnProcess, name = DEMO): Promise<string[] | undefined> {
  const dump = (await mosn.configDump()) as { cluster_manager?: { clusters?: { name: string; hosts?: { address: string }[] }[] } };
  return dump.cluster_manager?.clusters
    ?.find((c) => c.name === name)
    ?.hosts?.map((h) => h.address)
    .sort();
}

/** A mosn config: a Dubbo listener `egress` (router `dubbo`, made by the registry) and MOSN's `dubbo_registry`. */
export async function registryMosnConfig(o: { egress: number; admin: number; api: number; serverPort?: number; extraListeners?: unknown[]; clusters?: unknown[]; routers?: unknown[]; debounce?: string }): Promise<Record<string, unknown>> {
  return {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'INFO',
        graceful_timeout: '5s',
        routers: [{ router_config_name: 'dubbo', virtual_hosts: [{ name: 'dubbo', domains: ['*'], routers: [] }] }, ...(o.routers ?? [])],
        listeners: [
          {
            name: 'egress',
            address: `127.0.0.1:${o.egress}`,
            bind_port: true,
            filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'dubbo', upstream_protocol: 'dubbo', router_config_name: 'dubbo' } }] }],
          },
          ...(o.extraListeners ?? []),
        ],
      },
    ],
    cluster_manager: { clusters: o.clusters ?? [] },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: o.admin } } },
    extends: [{ type: 'dubbo_registry', config: { enable: true, server_port: o.serverPort ?? o.egress, api_port: o.api, publish_ip: '127.0.0.1', session_timeout: '2s', ...(o.debounce ? { debounce: o.debounce } : {}) } }],
  };
}

/** Free ports for a mosn process: its egress listener, admin API, registry API. */
export async function mosnPorts(): Promise<{ egress: number; admin: number; api: number; ingress: number }> {
  return { egress: await freePort(), admin: await freePort(), api: await freePort(), ingress: await freePort() };
}

const DUBBO_CONSUMER = fileURLToPath(new URL('./dubbo-consumer.mjs', import.meta.url));

export interface RegistryConsumer {
  /** The results so far: who answered (`res`), or the error. */
  readonly results: { res: unknown; err: string | null }[];
  output(): string;
}

/** dubbo2.js's ZooKeeper consumer of DemoService 1.0.0 in a process of its own, calling `whoami` every 100 ms. */
export function registryConsumer(zk: ZooKeeper, cleanups: Array<() => unknown>): RegistryConsumer {
  const child = spawn(process.execPath, [DUBBO_CONSUMER, zk.address, DEMO, VERSION], { stdio: ['ignore', 'pipe', 'pipe'] });
  const results: { res: unknown; err: string | null }[] = [];
  let out = '';
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!;
    for (const l of lines) if (l.startsWith('{')) results.push(JSON.parse(l) as { res: unknown; err: string | null });
  });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { results, output: () => out.slice(-3000) };
}
