import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE, quietLogger, rpcClient, startRpcServer, type TestServer } from '../bolt/peers.js';
import { cleanupAfterEach, waitUntil } from '../helpers.js';
import { runLoad, startMosnProcess } from '../reload/support.js';
import { clusterHosts } from './support.js';
import { freePort, startZooKeeper, type ZooKeeper } from './zookeeper.js';

// sofa_registry (a mosn-ts extension type): SOFARPC services subscribed from ZooKeeper by their Bolt service name,
// against real sofa-rpc-node servers that publish themselves with sofa-rpc-node's own ZookeeperRegistry
// (`/sofa-rpc/<interface>/providers/<encoded bolt://...>`), and a sofa-rpc-node client calling through mosn.

const require = createRequire(import.meta.url);
const { ZookeeperRegistry } = (require('sofa-rpc-node') as { registry: { ZookeeperRegistry: new (o: object) => any } }).registry;

let zk: ZooKeeper;
beforeAll(async () => {
  zk = await startZooKeeper();
}, 30_000);
afterAll(() => zk?.close());
const cleanups = cleanupAfterEach();

/** A sofa-rpc-node server of TestService:1.0 on a free port, published by its own ZookeeperRegistry. */
async function sofaProvider(name: string): Promise<TestServer> {
  const registry = new ZookeeperRegistry({ logger: quietLogger(), address: zk.address });
  await registry.ready();
  cleanups.push(() => registry.close());
  const server = await startRpcServer(name, { services: [SERVICE], port: await freePort(), registry });
  cleanups.push(() => server.close());
  return server;
}

describe('sofa_registry: SOFARPC providers from ZooKeeper', () => {
  it('providers published by sofa-rpc-node are reached through mosn; one stops, one joins', async () => {
    const s1 = await sofaProvider('s1');
    const s2 = await sofaProvider('s2');
    const [egress, admin] = [await freePort(), await freePort()];
    const mosn = await startMosnProcess(
      {
        servers: [
          {
            default_log_path: 'stderr',
            default_log_level: 'INFO',
            routers: [],
            listeners: [
              {
                name: 'egress',
                address: `127.0.0.1:${egress}`,
                bind_port: true,
                filter_chains: [{ filters: [{ type: 'proxy', config: { downstream_protocol: 'bolt', upstream_protocol: 'bolt', router_config_name: 'bolt' } }] }],
              },
            ],
          },
        ],
        cluster_manager: { clusters: [] },
        admin: { address: { socket_address: { address: '127.0.0.1', port_value: admin } } },
        extends: [{ type: 'sofa_registry', config: { registry: { type: 'zookeeper', addr: zk.address }, router: 'bolt', session_timeout: '2s', subscriptions: [{ service: SERVICE }] } }],
      },
      cleanups,
    );
    await waitUntil(async () => (await clusterHosts(mosn, SERVICE))?.length === 2, 5000, 'mosn has both providers');
    expect(await clusterHosts(mosn, SERVICE)).toEqual([s1.address, s2.address].sort());

    const client = rpcClient(`127.0.0.1:${egress}`);
    cleanups.push(() => client.close());
    const load = runLoad('whoami', 2, () => client.invoke<string>('whoami', []), { maxMs: 30_000 });
    cleanups.push(() => load.stop());
    await waitUntil(() => new Set(load.samples.map((s) => s.who)).size === 2, 5000, 'both answer');

    // s1 stops: sofa-rpc-node unpublishes, then closes its connections at once (it does not wait for consumers to
    // notice): calls mosn sends it in between fail
    const closeAt = Date.now();
    const closing = s1.close();
    await waitUntil(async () => (await clusterHosts(mosn, SERVICE))?.length === 1, 5000, 'mosn drops s1');
    const droppedAt = Date.now();
    await closing;
    const s3 = await sofaProvider('s3');
    await waitUntil(() => load.samples.some((s) => s.who === 's3'), 5000, 's3 gets traffic');
    await load.stop();
    expect(load.samples.filter((s) => s.sentAt > droppedAt + 100 && s.who === 's1')).toEqual([]);
    // failures only in the window between s1's node going and mosn dropping it
    expect(load.failures.filter((f) => f.sentAt < closeAt || f.sentAt > droppedAt).map((f) => `${f.sentAt - closeAt}: ${f.error}`)).toEqual([]);
    const stats = await mosn.stats();
    expect(stats[`registry.subscription.${SERVICE}.providers`]).toBe(2);
    void s3;
  }, 40_000);
});
