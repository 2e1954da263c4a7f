import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '@mosn/xds';
import { TestControlPlane } from '@mosn/xds/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, get, httpBackend, waitUntil } from '../helpers.js';
import { edsCluster, endpoints, httpListener, routeConfig, startXdsMosn } from './support.js';

// mosn as its own process under a control plane: LDS, RDS, CDS and EDS arrive by ADS and carry HTTP/1 requests;
// pushes of endpoints, routes and clusters are followed; a bad resource is NACKed and changes nothing; a removed
// listener stops accepting.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function backend(name: string) {
  const b = await httpBackend((req, res) => res.end(`${name} ${req.url}`));
  cleanups.push(() => b.close());
  return b;
}

async function controlPlane() {
  const cp = await TestControlPlane.start();
  cleanups.push(() => cp.stop());
  return cp;
}

/** Poll GET `path` on `port` until its body is `body` (the push reached the data plane). */
async function until(port: number, path: string, body: string, what: string): Promise<void> {
  let last = '';
  await waitUntil(
    async () => {
      last = await get(port, path).then(
        (r) => `${r.status} ${r.body}`,
        (e: Error) => e.message,
      );
      return last === `200 ${body}`;
    },
    10_000,
    what,
    () => `last answer: ${last}`,
  );
}

describe('xDS: mosn under a control plane (HTTP/1)', () => {
  it('serves a listener, routes, a cluster and endpoints pushed by ADS, and follows each kind of push', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    const cp = await controlPlane();
    const port = await closedPort();
    cp.setResources(LISTENER_TYPE, 'l1', [{ name: 'http', resource: httpListener('http', port, 'routes') }]);
    cp.setResources(ROUTE_TYPE, 'r1', [{ name: 'routes', resource: routeConfig('routes', [['/', 'svc']]) }]);
    cp.setResources(CLUSTER_TYPE, 'c1', [{ name: 'svc', resource: edsCluster('svc') }]);
    cp.setResources(ENDPOINT_TYPE, 'e1', [{ name: 'svc', resource: endpoints('svc', [a.address]) }]);
    const mosn = await startXdsMosn(cp, cleanups);
    await until(port, '/x', 'a /x', 'the first config served');

    // every type ACKed with the version sent, and the node on the stream's first request
    for (const [type, version] of [[LISTENER_TYPE, 'l1'], [ROUTE_TYPE, 'r1'], [CLUSTER_TYPE, 'c1'], [ENDPOINT_TYPE, 'e1']] as const) {
      const ack = await cp.waitForRequest((r) => r.typeUrl === type && r.versionInfo === version && !r.errorDetail);
      expect(ack.responseNonce).toBe(cp.responses.filter((r) => r.typeUrl === type).at(-1)!.nonce);
    }
    expect(cp.requests[0]!.node).toMatchObject({ id: 'sidecar~127.0.0.1~app.default~default.svc.cluster.local', cluster: 'app' });
    expect(cp.requests.filter((r) => r.node !== undefined)).toHaveLength(1);
    expect((await cp.waitForRequest((r) => r.typeUrl === ROUTE_TYPE)).resourceNames).toEqual(['routes']);
    expect((await cp.waitForRequest((r) => r.typeUrl === ENDPOINT_TYPE)).resourceNames).toEqual(['svc']);

    // endpoint push
    cp.setResources(ENDPOINT_TYPE, 'e2', [{ name: 'svc', resource: endpoints('svc', [b.address]) }]);
    await until(port, '/x', 'b /x', 'the endpoint push');

    // route push: a second cluster, arriving with its endpoints
    cp.setResources(CLUSTER_TYPE, 'c2', [{ name: 'svc', resource: edsCluster('svc') }, { name: 'other', resource: edsCluster('other') }]);
    cp.setResources(ENDPOINT_TYPE, 'e3', [
      { name: 'svc', resource: endpoints('svc', [b.address]) },
      { name: 'other', resource: endpoints('other', [a.address]) },
    ]);
    cp.setResources(ROUTE_TYPE, 'r2', [{ name: 'routes', resource: routeConfig('routes', [['/other', 'other'], ['/', 'svc']]) }]);
    await until(port, '/other', 'a /other', 'the route and cluster push');
    expect((await get(port, '/y')).body).toBe('b /y');

    // the dump shows the applied resources and their versions
    const dump = (await mosn.configDump()) as { xds: { versions: Record<string, string>; resources: Record<string, string[]> } };
    expect(dump.xds.versions).toEqual({ CDS: 'c2', EDS: 'e3', LDS: 'l1', RDS: 'r2' });
    expect(dump.xds.resources["clusters"]!.sort()).toEqual(['other', 'svc']);
    expect(dump.xds.resources.listeners).toEqual(['http']);

    // a bad resource is NACKed and changes nothing
    const since = cp.requests.length;
    cp.setResources(CLUSTER_TYPE, 'c3', [{ name: 'svc', resource: edsCluster('svc', { lb_policy: 'RING_HASH' }) }]);
    const nack = await cp.waitForRequest((r) => r.typeUrl === CLUSTER_TYPE && r.errorDetail !== undefined, 5000, since);
    expect(nack.versionInfo).toBe('c2');
    expect(nack.errorDetail!.message).toContain('Cluster "svc"');
    expect((await get(port, '/other')).body).toBe('a /other');
    expect((await mosn.stats())['xds.cds.nack']).toBe(1);

    // a removed listener stops accepting
    cp.setResources(LISTENER_TYPE, 'l2', []);
    await waitUntil(
      () => get(port, '/x').then(() => false, () => true),
      10_000,
      'the listener removed',
    );
  });
});
