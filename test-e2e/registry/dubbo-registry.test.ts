import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, ORDER, dubboConsumer, java } from '../dubbo/peers.js';
import { cleanupAfterEach, waitUntil } from '../helpers.js';
import { runLoad, startMosnProcess, type MosnProcess } from '../reload/support.js';
import { clusterHosts, dubboProviderPath, mosnPorts, providersSeen, registeredProvider, registrar, registryApi, registryMosnConfig, serviceBody } from './support.js';
import { startZooKeeper, type ZooKeeper } from './zookeeper.js';

// MOSN's dubbo_registry through mosn as its own process, against a real ZooKeeper: apache-dubbo-service providers
// registered with Dubbo's znode layout (each by a session of its own process), a dubbo2.js consumer calling
// through mosn's Dubbo listener, the app's /sub through MOSN's HTTP API.

let zk: ZooKeeper;
beforeAll(async () => {
  zk = await startZooKeeper();
}, 30_000);
afterAll(() => zk?.close());
const cleanups = cleanupAfterEach();

/** mosn as its own process, once its registry API listens. */
async function startRegistryMosn(ports: Awaited<ReturnType<typeof mosnPorts>>): Promise<MosnProcess> {
  const mosn = await startMosnProcess(await registryMosnConfig(ports), cleanups);
  await mosn.waitLog((l) => l.msg.startsWith('registry api: listening'), 0, 5000, 'the registry API listens');
  return mosn;
}

async function mosnSubscribed(): Promise<{ mosn: MosnProcess; ports: Awaited<ReturnType<typeof mosnPorts>> }> {
  const ports = await mosnPorts();
  const mosn = await startRegistryMosn(ports);
  const sub = await registryApi(ports.api, '/sub', serviceBody(zk));
  expect(sub).toEqual({ status: 200, body: { err_no: 0, err_msg: 'subscribe success' } });
  return { mosn, ports };
}

/** A dubbo2.js consumer through mosn: `whoami` answers the provider's name. */
function consumer(port: number) {
  const c = dubboConsumer(`127.0.0.1:${port}`, { timeoutSec: 5 });
  cleanups.push(() => c.close());
  return c;
}

async function whoami(c: ReturnType<typeof consumer>): Promise<string> {
  const { res, err } = await c.call<string>('whoami');
  if (err) throw err;
  return String(res);
}

describe('dubbo_registry: providers from ZooKeeper', () => {
  it('two providers register; a consumer through mosn reaches both; the cluster and its route are in config_dump', async () => {
    const p1 = await registeredProvider('p1', zk, cleanups);
    const p2 = await registeredProvider('p2', zk, cleanups);
    const { mosn, ports } = await mosnSubscribed();
    await waitUntil(async () => (await clusterHosts(mosn))?.length === 2, 5000, 'mosn has both providers as hosts');
    expect(await clusterHosts(mosn)).toEqual([p1.address, p2.address].sort());
    expect(await providersSeen(mosn)).toEqual([p1.address, p2.address].sort());
    const c = consumer(ports.egress);
    const seen = new Set<string>();
    for (let i = 0; i < 200 && seen.size < 2; i++) seen.add(await whoami(c));
    expect([...seen].sort()).toEqual(['p1', 'p2']);
    const dump = (await mosn.configDump()) as any;
    const routes = dump.servers[0].routers.find((r: any) => r.router_config_name === 'dubbo').virtual_hosts[0].routers;
    expect(routes).toEqual([{ match: { headers: [{ name: 'service', value: DEMO }] }, route: { cluster_name: DEMO } }]);
    const stats = await mosn.stats();
    expect(stats[`registry.subscription.${DEMO}.providers`]).toBe(2);
  });

  it("providers' versions are subset labels: a file cluster of the interface's name with lb_subset_config, a file route with metadata_match", async () => {
    const v1 = await registeredProvider('v1', zk, cleanups);
    const v2 = await registeredProvider('v2', zk, cleanups, { version: '2.0.0' });
    const ports = await mosnPorts();
    const config = await registryMosnConfig({
      ...ports,
      clusters: [{ name: DEMO, type: 'SIMPLE', lb_type: 'LB_ROUNDROBIN', lb_subset_config: { fall_back_policy: 0, subset_selectors: [['version']] }, hosts: [] }],
    });
    // the file routes DemoService itself, to the 2.0.0 providers only
    (config as any).servers[0].routers[0].virtual_hosts[0].routers.push({
      match: { headers: [{ name: 'service', value: DEMO }] },
      route: { cluster_name: DEMO, metadata_match: { filter_metadata: { 'mosn.lb': { version: '2.0.0' } } } },
    });
    const mosn = await startMosnProcess(config, cleanups);
    await mosn.waitLog((l) => l.msg.startsWith('registry api: listening'), 0, 5000, 'the registry API listens');
    expect((await registryApi(ports.api, '/sub', serviceBody(zk, { version: '*' }))).body.err_no).toBe(0);
    await waitUntil(async () => (await clusterHosts(mosn))?.length === 2, 5000, 'both versions are hosts');
    const dump = (await mosn.configDump()) as any;
    const cluster = dump.cluster_manager.clusters.find((c: any) => c.name === DEMO);
    expect(cluster.lb_subset_config.subset_selectors).toEqual([['version']]);
    expect(cluster.hosts.find((h: any) => h.address === v2.address).metadata).toEqual({ filter_metadata: { 'mosn.lb': { protocol: 'dubbo', version: '2.0.0' } } });
    // the registry adds no route of its own: the file's serves
    expect(dump.servers[0].routers.find((r: any) => r.router_config_name === 'dubbo').virtual_hosts[0].routers).toHaveLength(1);
    const c = consumer(ports.egress);
    const who = new Set<string>();
    for (let i = 0; i < 20; i++) who.add(await whoami(c));
    expect([...who]).toEqual(['v2']);
    void v1;
  });

  it('a burst of providers registering at once is one apply (debounce)', async () => {
    const ports = await mosnPorts();
    const mosn = await startMosnProcess(await registryMosnConfig({ ...ports, debounce: '1s' }), cleanups);
    await mosn.waitLog((l) => l.msg.startsWith('registry api: listening'), 0, 5000, 'the registry API listens');
    expect((await registryApi(ports.api, '/sub', serviceBody(zk))).body.err_no).toBe(0);
    await waitUntil(async () => (await clusterHosts(mosn)) !== undefined, 5000, 'the cluster is there');
    const before = (await mosn.stats())['config.version']!;
    // six providers in one go, as when a deployment restarts them all (one session: the nodes come within milliseconds)
    const addresses = Array.from({ length: 6 }, (_, i) => ({ host: '127.0.0.1', port: 40001 + i }));
    // and one node that is no provider URL (a registry error of this subscription: left out, counted)
    const junk = dubboProviderPath(addresses[0]!).replace(/\/[^/]*$/, '/not-a-provider-url');
    await registrar(zk, [...addresses.map((a) => dubboProviderPath(a)), junk], cleanups);
    await waitUntil(async () => (await clusterHosts(mosn))?.length === 6, 5000, 'mosn has the six hosts');
    const stats = await mosn.stats();
    const applied = () => JSON.stringify(mosn.logs().filter((l) => l.msg.includes('applied')).map((l) => [l.origin, l.changes]));
    expect(stats['config.version']! - before, applied()).toBe(1);
    expect(stats[`registry.subscription.${DEMO}.providers`]).toBe(6);
    expect(stats[`registry.subscription.${DEMO}.invalid_providers`]).toBe(1);
  });

  it("a reload of the file keeps the registry's cluster and routes, and takes the file's new routes in router dubbo", async () => {
    const p1 = await registeredProvider('p1', zk, cleanups);
    const { mosn, ports } = await mosnSubscribed();
    await waitUntil(async () => (await clusterHosts(mosn))?.length === 1, 5000, 'mosn has p1');
    const config = await registryMosnConfig(ports);
    // the file's dubbo router gets a route of its own: OrderService to a static cluster of p1
    (config as any).servers[0].routers[0].virtual_hosts[0].routers.push({ match: { headers: [{ name: 'service', value: ORDER }] }, route: { cluster_name: 'orders' } });
    (config as any).cluster_manager.clusters.push({ name: 'orders', type: 'SIMPLE', hosts: [{ address: p1.address }] });
    mosn.write(config);
    const { mark } = mosn.hup();
    await mosn.waitLog((l) => /config version \d+ applied/.test(l.msg) && l.origin === 'SIGHUP', mark, 5000, 'the reload applied');
    const dump = (await mosn.configDump()) as any;
    const routes = dump.servers[0].routers.find((r: any) => r.router_config_name === 'dubbo').virtual_hosts[0].routers;
    expect(routes.map((r: any) => r.route.cluster_name)).toEqual(['orders', DEMO]);
    expect(await clusterHosts(mosn)).toEqual([p1.address]);
    const c = consumer(ports.egress);
    expect(await whoami(c)).toBe('p1');
    expect((await c.call('whoami', [], { service: ORDER })).res).toBe('p1');
  });

  it('a provider stops gracefully, one is killed, one joins: no call goes to a gone one once its node is gone; calls in flight are answered', async () => {
    const p1 = await registeredProvider('p1', zk, cleanups);
    const p2 = await registeredProvider('p2', zk, cleanups);
    const p3 = await registeredProvider('p3', zk, cleanups);
    const { mosn, ports } = await mosnSubscribed();
    await waitUntil(async () => (await clusterHosts(mosn))?.length === 3, 5000, 'mosn has three hosts');
    const c = consumer(ports.egress);
    const load = runLoad('whoami', 4, () => whoami(c), { maxMs: 40_000 });
    cleanups.push(() => load.stop());
    await waitUntil(() => new Set(load.samples.map((s) => s.who)).size === 3, 5000, 'all three answer');

    // graceful: the node goes first; the provider closes once mosn has dropped it
    const before1 = p1.provider.requests.length;
    await p1.stop(() => waitUntil(async () => !(await clusterHosts(mosn))!.includes(p1.address), 2000, 'mosn drops p1 once its node is gone'));
    const droppedAt = Date.now();
    // every request p1 got came before mosn dropped it (the ones sent just before may still arrive: give them 200 ms)
    const afterDrop = p1.provider.requests.length;
    await waitUntil(() => load.samples.filter((s) => s.sentAt > droppedAt + 200).length > 50, 5000, 'calls after p1 went');
    expect(p1.provider.requests.length).toBe(afterDrop);
    expect(afterDrop).toBeGreaterThan(before1);

    // killed: calls in flight get an answer (an error, not a hang); mosn drops it when its session expires
    // slow calls until some are in flight at p3 (random LB between p2 and p3)
    const slowConsumer = consumer(ports.egress);
    const slow = Array.from({ length: 16 }, () => slowConsumer.call('slow', [java.Integer(3000)]));
    const slowAt = (p: typeof p3) => p.provider.requests.filter((r) => r.method === 'slow').length;
    await waitUntil(() => slowAt(p2) + slowAt(p3) === 16, 3000, 'the slow calls in flight');
    expect(slowAt(p3)).toBeGreaterThan(0);
    const killedAt = Date.now();
    await p3.kill();
    const answers = await Promise.all(slow);
    // the ones at p3 are answered by mosn with Dubbo's error status (dubbo2.js's own 5 s timeout would say "timeout")
    const failed = answers.filter((a) => a.err !== null);
    expect(failed).toHaveLength(slowAt(p3));
    for (const a of failed) expect(String(a.err?.message)).not.toMatch(/timeout/i);
    expect(answers.filter((a) => a.res === 'p2')).toHaveLength(slowAt(p2));
    await waitUntil(async () => !(await clusterHosts(mosn))!.includes(p3.address), 10_000, 'mosn drops p3 when its session expires');
    const goneAt = Date.now();
    await waitUntil(() => load.samples.filter((s) => s.sentAt > goneAt).length > 50, 5000, 'calls after p3 went');
    expect(load.samples.filter((s) => s.sentAt > goneAt).every((s) => s.who === 'p2')).toBe(true);
    expect(load.failures.filter((f) => f.sentAt > goneAt).map((f) => `${f.sentAt - goneAt}: ${f.error}`)).toEqual([]);
    expect(killedAt).toBeLessThan(goneAt);

    // a new provider joins and gets traffic
    const p4 = await registeredProvider('p4', zk, cleanups);
    const joinedAt = Date.now();
    await waitUntil(() => load.samples.some((s) => s.who === 'p4' && s.sentAt > joinedAt), 5000, 'p4 gets traffic');
    await load.stop();
    // Calls failed only from the kill until mosn dropped p3 (in flight there, or sent to it before its session
    // expired: MOSN's dubbod cluster has no health check; a cluster of the interface's name in the file can add
    // one), each answered by mosn with a Dubbo error status, none by a client timeout.
    const outside = load.failures.filter((f) => f.doneAt < killedAt || f.sentAt > goneAt);
    expect(outside.map((f) => `${f.sentAt - killedAt}: ${f.error}`)).toEqual([]);
    for (const f of load.failures) expect(f.error).toMatch(/upstream: connection_(failure|termination)/);
    void p2;
    void p4;
  }, 45_000);

  it('ZooKeeper stopped and restarted under load: calls flow on the last hosts meanwhile, then the watch is back', async () => {
    await registeredProvider('p1', zk, cleanups);
    const { mosn, ports } = await mosnSubscribed();
    await waitUntil(async () => (await clusterHosts(mosn))?.length === 1, 5000, 'mosn has p1');
    const c = consumer(ports.egress);
    const load = runLoad('whoami', 2, () => whoami(c), { maxMs: 40_000 });
    cleanups.push(() => load.stop());
    await zk.stop();
    const downAt = Date.now();
    await waitUntil(() => load.samples.filter((s) => s.sentAt > downAt).length > 100, 5000, 'calls while ZooKeeper is down');
    expect(await clusterHosts(mosn)).toHaveLength(1);
    await zk.restart();
    const p2 = await registeredProvider('p2', zk, cleanups);
    await waitUntil(() => load.samples.some((s) => s.who === 'p2'), 15_000, 'p2, registered after the restart, gets traffic');
    await load.stop();
    expect(load.failures.map((f) => `${f.sentAt - downAt}: ${f.error}`)).toEqual([]);
    void p2;
  }, 45_000);
});

describe("MOSN's registry API", () => {
  it('bad bodies get err_no 1 with a reason; other methods and paths are refused', async () => {
    const ports = await mosnPorts();
    await startRegistryMosn(ports);
    const api = (path: string, body: unknown, method?: string) => registryApi(ports.api, path, body, method);
    expect(await api('/sub', '{not json')).toMatchObject({ status: 200, body: { err_no: 1, err_msg: expect.stringMatching(/^subscribe fail, err: the body is not JSON/) } });
    expect(await api('/sub', { registry: { type: 'zookeeper', addr: zk.address }, service: { methods: [] } })).toEqual({
      status: 200,
      body: { err_no: 1, err_msg: 'subscribe fail, err: service.interface: is required: expected a string' },
    });
    expect((await api('/pub', { registry: { type: 'nacos', addr: zk.address }, service: { interface: DEMO, methods: [] } })).body).toEqual({
      err_no: 1,
      err_msg: 'registry.type: "nacos" is not a registry mosn-ts speaks: only "zookeeper"',
    });
    expect((await api('/unpub', { registry: { type: 'zookeeper', addr: 'nohost' }, service: { interface: DEMO } })).body).toEqual({
      err_no: 1,
      err_msg: 'registry.addr: expected "host:port" (several separated by commas), got "nohost"; service.methods: is required: expected an array of method names',
    });
    expect((await api('/unsub', serviceBody(zk))).body).toEqual({ err_no: 1, err_msg: `unsubscribe fail, err: ${DEMO} is not subscribed` });
    expect((await api('/unpub', serviceBody(zk))).body).toEqual({ err_no: 1, err_msg: `unpub fail, err: ${DEMO} (group "", version "1.0.0") is not published on ${zk.address}` });
    expect((await api('/sub', serviceBody(zk), 'GET')).status).toBe(405);
    expect((await api('/other', serviceBody(zk))).status).toBe(404);
  });
});
