import http from 'node:http';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '@mosn/xds';
import { TestControlPlane } from '@mosn/xds/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, get, httpBackend, waitUntil } from '../helpers.js';
import { edsCluster, endpoints, httpListener, routeConfig, startXdsMosn } from './support.js';

// Steady load through mosn while the control plane pushes, and while it is killed and comes back: no request is
// lost, the subscriptions come back, and pushes after the restart are followed.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** `workers` loops of keep-alive GETs through `port` until `stop()`; each answer recorded as `status body`. */
function load(port: number, workers = 4) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  const answers: string[] = [];
  let running = true;
  const loop = async () => {
    while (running) {
      const r = await get(port, '/load', { agent }).then(
        (res) => `${res.status} ${res.body}`,
        (e: Error) => `error ${e.message}`,
      );
      answers.push(r);
    }
  };
  const done = Promise.all(Array.from({ length: workers }, loop));
  return {
    answers,
    count: () => answers.length,
    stop: async () => {
      running = false;
      await done;
      agent.destroy();
      return answers;
    },
  };
}

async function setup() {
  const a = await httpBackend((req, res) => res.end('a'));
  const b = await httpBackend((req, res) => res.end('b'));
  cleanups.push(() => a.close(), () => b.close());
  const cp = await TestControlPlane.start();
  cleanups.push(() => cp.stop());
  const port = await closedPort();
  cp.setResources(LISTENER_TYPE, 'l1', [{ name: 'http', resource: httpListener('http', port, 'routes') }]);
  cp.setResources(ROUTE_TYPE, 'r1', [{ name: 'routes', resource: routeConfig('routes', [['/', 'svc-a']]) }]);
  cp.setResources(CLUSTER_TYPE, 'c1', [{ name: 'svc-a', resource: edsCluster('svc-a') }]);
  cp.setResources(ENDPOINT_TYPE, 'e1', [{ name: 'svc-a', resource: endpoints('svc-a', [a.address]) }]);
  const mosn = await startXdsMosn(cp, cleanups);
  await waitUntil(() => get(port, '/').then((r) => r.body === 'a', () => false), 10_000, 'the first config served');
  return { a, b, cp, port, mosn };
}

const failures = (answers: readonly string[]) => answers.filter((x) => !/^200 [ab]$/.test(x));

describe('xDS under steady load', () => {
  it('loses no request while endpoints, clusters and routes are pushed (clusters warm before the route names them)', async () => {
    const { a, b, cp, port } = await setup();
    const traffic = load(port);
    const after = async (n: number) => {
      const target = traffic.count() + n;
      await waitUntil(() => traffic.count() >= target, 10_000, `${n} more requests`);
    };
    await after(100);
    // endpoints: a and b, then b alone
    cp.setResources(ENDPOINT_TYPE, 'e2', [{ name: 'svc-a', resource: endpoints('svc-a', [a.address, b.address]) }]);
    await after(100);
    // a new cluster, then (once it is ACKed with its endpoints) the route moved to it: make before break
    cp.setResources(CLUSTER_TYPE, 'c2', [{ name: 'svc-a', resource: edsCluster('svc-a') }, { name: 'svc-b', resource: edsCluster('svc-b') }]);
    cp.setResources(ENDPOINT_TYPE, 'e3', [
      { name: 'svc-a', resource: endpoints('svc-a', [a.address, b.address]) },
      { name: 'svc-b', resource: endpoints('svc-b', [b.address]) },
    ]);
    await cp.waitForRequest((r) => r.typeUrl === ENDPOINT_TYPE && r.versionInfo === 'e3' && r.resourceNames.includes('svc-b'));
    cp.setResources(ROUTE_TYPE, 'r2', [{ name: 'routes', resource: routeConfig('routes', [['/', 'svc-b']]) }]);
    await cp.waitForRequest((r) => r.typeUrl === ROUTE_TYPE && r.versionInfo === 'r2');
    await after(100);
    // the old cluster removed once nothing routes to it
    cp.setResources(CLUSTER_TYPE, 'c3', [{ name: 'svc-b', resource: edsCluster('svc-b') }]);
    await cp.waitForRequest((r) => r.typeUrl === CLUSTER_TYPE && r.versionInfo === 'c3');
    await after(100);
    const answers = await traffic.stop();
    expect(failures(answers)).toEqual([]);
    expect(answers.slice(-50).every((x) => x === '200 b')).toBe(true);
    expect(answers.length).toBeGreaterThan(400);
  });

  it('keeps serving while the control plane is down, subscribes again when it is back, and follows pushes after', async () => {
    const { b, cp, port, mosn } = await setup();
    const traffic = load(port);
    await waitUntil(() => traffic.count() >= 100, 10_000, '100 requests');
    const cpPort = cp.port;
    await cp.stop();
    const down = traffic.count();
    await waitUntil(() => traffic.count() >= down + 200, 10_000, '200 requests while the control plane is down');
    expect((await mosn.configDump() as { xds: { control_plane: { connected: boolean } } }).xds.control_plane.connected).toBe(false);

    const back = await TestControlPlane.start({ port: cpPort });
    cleanups.push(() => back.stop());
    back.setResources(LISTENER_TYPE, 'l1', [{ name: 'http', resource: httpListener('http', port, 'routes') }]);
    back.setResources(ROUTE_TYPE, 'r1', [{ name: 'routes', resource: routeConfig('routes', [['/', 'svc-a']]) }]);
    back.setResources(CLUSTER_TYPE, 'c1', [{ name: 'svc-a', resource: edsCluster('svc-a') }]);
    back.setResources(ENDPOINT_TYPE, 'e9', [{ name: 'svc-a', resource: endpoints('svc-a', [b.address]) }]);
    // the new stream: the node again, the versions accepted before, no nonce, every subscription
    const lds = await back.waitForRequest((r) => r.typeUrl === LISTENER_TYPE, 15_000);
    expect(back.requests[0]!.node).toMatchObject({ id: 'sidecar~127.0.0.1~app.default~default.svc.cluster.local' });
    expect(lds.versionInfo).toBe('l1');
    expect(lds.responseNonce).toBe('');
    expect((await back.waitForRequest((r) => r.typeUrl === ROUTE_TYPE, 15_000)).resourceNames).toEqual(['routes']);
    expect((await back.waitForRequest((r) => r.typeUrl === ENDPOINT_TYPE, 15_000)).resourceNames).toEqual(['svc-a']);
    // a push after the restart is followed
    await waitUntil(() => traffic.answers.slice(-20).every((x) => x === '200 b') && traffic.answers.length > 20, 10_000, 'the endpoint pushed after the restart');
    const answers = await traffic.stop();
    expect(failures(answers)).toEqual([]);
  });
});
