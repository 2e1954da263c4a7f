import { ZkSession, parseProvider, providersPath } from '@mosn/registry-zookeeper';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from 'mosn';
import { DEMO, VERSION, dubboConsumer, startProvider } from '../dubbo/peers.js';
import { REPO_ROOT, cleanupAfterEach, waitUntil } from '../helpers.js';
import { startMosnProcess } from '../reload/support.js';
import { clusterHosts, mosnPorts, registryApi, registryConsumer, serviceBody } from './support.js';
import { startZooKeeper, type ZooKeeper } from './zookeeper.js';

// MOSN's /pub, on configs/mosn_dubbo_registry.json: an app behind mosn (an apache-dubbo-service provider that
// registers nowhere) is published by mosn as mosn's ingress address; an unmodified registry consumer (dubbo2.js's
// ZooKeeper `Dubbo`, in a process of its own) finds it there and calls the app through mosn. /unpub and mosn's
// exit remove it.

let zk: ZooKeeper;
beforeAll(async () => {
  zk = await startZooKeeper();
}, 30_000);
afterAll(() => zk?.close());
const cleanups = cleanupAfterEach();

describe("dubbo_registry's /pub and /unpub", () => {
  it('/pub makes the app behind mosn reachable by a registry consumer; /unpub and mosn exit remove it', async () => {
    const app = await startProvider('app', { services: [{ interface: DEMO, version: VERSION }] });
    cleanups.push(() => app.close());
    const ports = await mosnPorts();
    // the registry example of configs/, on this test's ports, ZooKeeper and app
    const config = loadConfigFile(`${REPO_ROOT}configs/mosn_dubbo_registry.json`) as any;
    const server = config.servers[0];
    server.default_log_path = 'stderr';
    server.listeners.find((l: any) => l.name === 'egress').address = `127.0.0.1:${ports.egress}`;
    server.listeners.find((l: any) => l.name === 'ingress').address = `127.0.0.1:${ports.ingress}`;
    config.cluster_manager.clusters.find((c: any) => c.name === 'local_app').hosts = [{ address: app.address }];
    config.admin.address.socket_address.port_value = ports.admin;
    const registry = config.extends[0].config;
    Object.assign(registry, { server_port: ports.ingress, api_port: ports.api, session_timeout: '2s' });
    registry.subscriptions[0].registry.addr = zk.address;
    const mosn = await startMosnProcess(config, cleanups);
    await mosn.waitLog((l) => l.msg.startsWith('registry api: listening'), 0, 5000, 'the registry API listens');

    // the registry as another client sees it
    const observer = new ZkSession({ address: zk.address, sessionTimeoutMs: 2000 });
    observer.start();
    cleanups.push(() => observer.close());
    let nodes: string[] = [];
    observer.watchChildren(providersPath('dubbo', DEMO), (c) => (nodes = c));

    expect((await registryApi(ports.api, '/pub', serviceBody(zk))).body).toEqual({ err_no: 0, err_msg: 'publish success' });
    await waitUntil(() => nodes.length === 1, 5000, 'the published node');
    expect(parseProvider(nodes[0]!)).toMatchObject({ protocol: 'dubbo', host: '127.0.0.1', port: ports.ingress, interface: DEMO, version: VERSION, params: { side: 'provider', methods: 'whoami,slow' } });

    const consumer = registryConsumer(zk, cleanups);
    await waitUntil(() => consumer.results.some((r) => r.res === 'app'), 15_000, 'the registry consumer reaches the app through mosn', consumer.output);
    expect(app.requests.length).toBeGreaterThan(0);

    // the example also subscribes DemoService 1.0.0 (from its config): mosn's own publication is its provider, so
    // a call to mosn's egress goes egress → ingress → app
    await waitUntil(async () => (await clusterHosts(mosn))?.includes(`127.0.0.1:${ports.ingress}`) === true, 5000, 'mosn follows its own publication');
    const out = dubboConsumer(`127.0.0.1:${ports.egress}`);
    cleanups.push(() => out.close());
    expect((await out.call('whoami')).res).toBe('app');

    expect((await registryApi(ports.api, '/unpub', serviceBody(zk))).body).toEqual({ err_no: 0, err_msg: 'unpub success' });
    await waitUntil(() => nodes.length === 0, 5000, 'the node gone after /unpub');

    expect((await registryApi(ports.api, '/pub', serviceBody(zk))).body).toEqual({ err_no: 0, err_msg: 'publish success' });
    await waitUntil(() => nodes.length === 1, 5000, 'published again');
    await mosn.stop();
    expect(mosn.running()).toBe(false);
    await waitUntil(() => nodes.length === 0, 5000, 'the node gone when mosn exits');
  }, 40_000);
});
