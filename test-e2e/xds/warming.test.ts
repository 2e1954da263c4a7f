import net from 'node:net';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '@mosn/xds';
import { TestControlPlane } from '@mosn/xds/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, get, httpBackend, waitUntil } from '../helpers.js';
import { bootstrapConfig, edsCluster, endpoints, httpListener, routeConfig, startXdsMosn } from './support.js';

// Warming, end to end: a new listener is not bound before its routes came, a new cluster does not take requests
// before its endpoints came; past initial_fetch_timeout they serve without them.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

describe('xDS warming', () => {
  it('binds a new listener once its routes came, and routes to a new cluster once its endpoints came', async () => {
    const a = await httpBackend((req, res) => res.end('a'));
    cleanups.push(() => a.close());
    const cp = await TestControlPlane.start();
    cleanups.push(() => cp.stop());
    const port = await closedPort();
    cp.hold(ROUTE_TYPE);
    cp.hold(ENDPOINT_TYPE);
    cp.setResources(LISTENER_TYPE, '1', [{ name: 'http', resource: httpListener('http', port, 'routes') }]);
    cp.setResources(ROUTE_TYPE, '1', [{ name: 'routes', resource: routeConfig('routes', [['/', 'svc']]) }]);
    cp.setResources(CLUSTER_TYPE, '1', [{ name: 'svc', resource: edsCluster('svc') }]);
    cp.setResources(ENDPOINT_TYPE, '1', [{ name: 'svc', resource: endpoints('svc', [a.address]) }]);
    const mosn = await startXdsMosn(cp, cleanups);
    // LDS and CDS are ACKed, but the listener waits for its routes and the cluster for its endpoints
    await cp.waitForRequest((r) => r.typeUrl === LISTENER_TYPE && r.versionInfo === '1');
    await cp.waitForRequest((r) => r.typeUrl === ROUTE_TYPE && r.resourceNames.includes('routes'));
    expect(await accepts(port)).toBe(false);
    expect((await mosn.configDump() as { xds: { resources: { clusters: string[] } } }).xds.resources.clusters).toEqual([]);
    cp.release(ROUTE_TYPE);
    await waitUntil(() => accepts(port), 10_000, 'the listener bound once its routes came');
    // routes are in, the cluster is not: no cluster of that name yet (MOSN's answer: 404 no route)
    expect((await get(port, '/')).status).toBe(404);
    cp.release(ENDPOINT_TYPE);
    await waitUntil(() => get(port, '/').then((r) => r.body === 'a', () => false), 10_000, 'the cluster serving once its endpoints came');
  });

  it('past initial_fetch_timeout, serves what still warms: the listener with an empty route table', async () => {
    const cp = await TestControlPlane.start();
    cleanups.push(() => cp.stop());
    const port = await closedPort();
    cp.hold(ROUTE_TYPE);
    cp.setResources(LISTENER_TYPE, '1', [{ name: 'http', resource: httpListener('http', port, 'routes') }]);
    const base = bootstrapConfig(cp, 0) as { dynamic_resources: Record<string, unknown> };
    await startXdsMosn(cp, cleanups, { dynamic_resources: { ...base.dynamic_resources, lds_config: { ads: {}, initial_fetch_timeout: '0.3s' } } });
    await cp.waitForRequest((r) => r.typeUrl === ROUTE_TYPE && r.resourceNames.includes('routes'));
    await waitUntil(() => accepts(port), 10_000, 'the listener bound after initial_fetch_timeout');
    expect((await get(port, '/')).status).toBe(404);
  });
});
