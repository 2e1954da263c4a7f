import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, ORDER, dubboConsumer } from '../dubbo/peers.js';
import { cleanupAfterEach, waitUntil } from '../helpers.js';
import { startMosnProcess } from '../reload/support.js';
import { clusterHosts, mosnPorts, registeredProvider, registryApi, registryMosnConfig, serviceBody } from '../registry/support.js';
import { startZooKeeper, type ZooKeeper } from '../registry/zookeeper.js';
import { workerPids } from './support.js';

// The service registry with workers (mosn as its own process, a real ZooKeeper): the primary holds the registry
// session and MOSN's HTTP API, and gives every worker the clusters and routes it makes; a reload of the file and a
// restarted worker keep them.

let zk: ZooKeeper;
beforeAll(async () => {
  zk = await startZooKeeper();
}, 30_000);
afterAll(() => zk?.close());
const cleanups = cleanupAfterEach();

/** `n` dubbo2.js consumers through mosn (one connection each): who answered each, by service. */
async function callAll(port: number, n: number, service = DEMO): Promise<string[]> {
  const consumers = Array.from({ length: n }, () => dubboConsumer(`127.0.0.1:${port}`, { timeoutSec: 5 }));
  try {
    return await Promise.all(
      consumers.map(async (c) => {
        const { res, err } = await c.call<string>('whoami', [], service === DEMO ? {} : { service });
        return err ? `error ${err.message}` : String(res);
      }),
    );
  } finally {
    for (const c of consumers) c.close();
  }
}

describe('workers with dubbo_registry', () => {
  it('/sub on the primary gives every worker the cluster; a reload and a restarted worker keep it', async () => {
    const p1 = await registeredProvider('p1', zk, cleanups);
    const ports = await mosnPorts();
    const config = await registryMosnConfig(ports);
    const mosn = await startMosnProcess(config, cleanups, { args: ['--workers', '2'], startedLine: 'mosn started with 2 workers' });
    await mosn.waitLog((l) => l.msg.startsWith('registry api: listening') && l.worker === 0, 0, 5000, 'the primary serves the registry API');
    const subMark = mosn.output().length;
    expect(await registryApi(ports.api, '/sub', serviceBody(zk))).toEqual({ status: 200, body: { err_no: 0, err_msg: 'subscribe success' } });
    await waitUntil(async () => (await clusterHosts(mosn))?.length === 1, 5000, 'the first worker has p1');
    // each worker applies the registry's clusters itself: wait for both (the dump shows the first's)
    for (const id of [1, 2]) await mosn.waitLog((l) => l.worker === id && l.origin === 'registry' && /config version \d+ applied/.test(l.msg), subMark, 10_000, `worker ${id} has p1`);

    expect(await callAll(ports.egress, 16)).toEqual(Array.from({ length: 16 }, () => 'p1'));
    for (const id of [1, 2]) {
      const s = (await mosn.admin('GET', `/api/v1/stats?worker=${id}`)).body as Record<string, number>;
      expect(s['listener.egress.downstream_rq_total'], `worker ${id} routed to the registry cluster`).toBeGreaterThan(0);
    }

    // the file's dubbo router gets a route of its own: the registry's routes are made again over it, in every worker
    (config as any).servers[0].routers[0].virtual_hosts[0].routers.push({ match: { headers: [{ name: 'service', value: ORDER }] }, route: { cluster_name: 'orders' } });
    (config as any).cluster_manager.clusters.push({ name: 'orders', type: 'SIMPLE', hosts: [{ address: p1.address }] });
    mosn.write(config);
    const { mark } = mosn.hup();
    for (const id of [1, 2]) await mosn.waitLog((l) => l.worker === id && /config version \d+ applied/.test(l.msg), mark, 10_000, `worker ${id} reloaded`);
    expect(await callAll(ports.egress, 16, ORDER)).toEqual(Array.from({ length: 16 }, () => 'p1'));
    expect(await callAll(ports.egress, 16)).toEqual(Array.from({ length: 16 }, () => 'p1'));

    // a worker killed: the one started in its place has the registry's cluster and routes, and the file's
    const since = mosn.output().length;
    process.kill(workerPids(mosn).get(1)!, 'SIGKILL');
    await mosn.waitLog((l) => l.msg === 'worker serves' && l['workerId'] === 1, since, 15_000, 'worker 1 again');
    expect(await callAll(ports.egress, 16)).toEqual(Array.from({ length: 16 }, () => 'p1'));
    expect(await callAll(ports.egress, 16, ORDER)).toEqual(Array.from({ length: 16 }, () => 'p1'));
    const one = (await mosn.admin('GET', '/api/v1/stats?worker=1')).body as Record<string, number>;
    expect(one['listener.egress.downstream_rq_total']).toBeGreaterThan(0);
    // one registry session for the group: the primary's stats count its ZooKeeper session, the workers have none
    expect(Object.keys(one).some((k) => k.startsWith('registry.'))).toBe(false);
  });
});
