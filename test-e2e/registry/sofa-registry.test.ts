import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE, quietLogger, rpcClient, startRpcServer, type TestServer } from '../bolt/peers.js';
import { loadConfigFile } from 'mosn';
import { REPO_ROOT, cleanupAfterEach, waitUntil } from '../helpers.js';
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

  it("SOFA's mesh registry API (configs/mosn_sofa_registry.json): the app publishes through mosn (a registry consumer reaches it) and subscribes (its calls go out through mosn)", async () => {
    const app = await startRpcServer('app', { services: [SERVICE] });
    cleanups.push(() => app.close());
    const [egress, ingress, admin, api] = [await freePort(), await freePort(), await freePort(), await freePort()];
    // the SOFARPC registry example of configs/, on this test's ports, ZooKeeper and app
    const config = loadConfigFile(`${REPO_ROOT}configs/mosn_sofa_registry.json`) as any;
    const server = config.servers[0];
    server.default_log_path = 'stderr';
    server.listeners.find((l: any) => l.name === 'egress').address = `127.0.0.1:${egress}`;
    server.listeners.find((l: any) => l.name === 'ingress').address = `127.0.0.1:${ingress}`;
    config.cluster_manager.clusters.find((c: any) => c.name === 'local_app').hosts = [{ address: app.address }];
    config.admin.address.socket_address.port_value = admin;
    const registryConfig = config.extends[0].config;
    Object.assign(registryConfig, { api_port: api, server_port: ingress, session_timeout: '2s', subscriptions: [] });
    registryConfig.registry.addr = zk.address;
    await startMosnProcess(config, cleanups);
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`http://127.0.0.1:${api}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${api}/`).catch(() => undefined)) !== undefined, 5000, 'the mesh API listens');

    // the app, as SOFARPC Java's MeshRegistry does: its application, then its service
    expect(await post('/configs/application', { appName: 'app', 'rpc.some.param': 'x' })).toEqual({ status: 200, body: { success: true } });
    const published = await post('/services/publish', {
      serviceName: SERVICE,
      protocolType: 'bolt',
      providerMetaInfo: { protocol: 'bolt', version: '4.0', serializeType: 'hessian2', appName: 'app', properties: {} },
      onlyPublishInCloud: false,
    });
    expect(published).toEqual({ status: 200, body: { success: true } });

    // an unmodified registry consumer (sofa-rpc-node with its ZookeeperRegistry) reaches the app through mosn's ingress
    const registry = new ZookeeperRegistry({ logger: quietLogger(), address: zk.address });
    cleanups.push(() => registry.close());
    const sofaRpc = require('sofa-rpc-node') as { client: { RpcClient: new (o: object) => any } };
    const client = new sofaRpc.client.RpcClient({ logger: quietLogger(), registry });
    client.on('error', () => {});
    cleanups.push(() => client.close());
    const consumer = client.createConsumer({ interfaceName: SERVICE.split(':')[0], version: '1.0' });
    await consumer.ready();
    expect(await consumer.invoke('whoami', [])).toBe('app');

    // the app subscribes: the providers known (mosn's own publication), and its calls go out through mosn's egress
    const sub = await post('/services/subscribe', { serviceName: SERVICE, protocolType: 'bolt', vipEnforce: false, vipOnly: false, localCloudFirst: false });
    expect(sub.body).toMatchObject({ success: true, serviceName: SERVICE, datas: [expect.stringMatching(new RegExp(`^bolt://127\\.0\\.0\\.1:${ingress}\\?`))] });
    const out = rpcClient(`127.0.0.1:${egress}`);
    cleanups.push(() => out.close());
    await waitUntil(async () => (await out.invoke<string>('whoami', []).catch(() => '')) === 'app', 5000, 'the app calls out through mosn');

    // bad bodies, unpublish, unsubscribe
    expect((await post('/services/subscribe', { serviceName: 'no-version' })).body).toEqual({
      success: false,
      errorMessage: 'serviceName: expected the SOFARPC service name "interface:version" (or "interface:version:uniqueId"), got "no-version"',
    });
    expect((await post('/configs/application', {})).body).toEqual({ success: false, errorMessage: 'appName: is required: expected a string' });
    expect((await post('/services/unpublish', { serviceName: SERVICE, protocolType: 'bolt' })).body).toEqual({ success: true });
    expect((await post('/services/unpublish', { serviceName: SERVICE, protocolType: 'bolt' })).body).toEqual({ success: false, errorMessage: `${SERVICE} is not published` });
    expect((await post('/services/unsubscribe', { serviceName: SERVICE, protocolType: 'bolt' })).body).toEqual({ success: true });
  }, 40_000);
});
