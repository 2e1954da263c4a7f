import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '@mosn/xds';
import { TestControlPlane } from '@mosn/xds/testing';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, get, httpBackend, waitUntil } from '../helpers.js';
import { edsCluster, endpoints, httpListener, routeConfig, startXdsMosn } from '../xds/support.js';

// `/ready` under a control plane: mosn runs at once, but is ready (LIVE) only once its first clusters and listeners
// have come and been applied; config_dump's views show the sections xDS added.

const cleanups = cleanupAfterEach();

describe('/ready with xDS (mosn as its own process)', () => {
  it('503 INITIALIZING until the first CDS and LDS are applied, then 200 LIVE; the xDS sections in config_dump`s views', async () => {
    const backend = await httpBackend((req, res) => res.end(`a ${req.url}`));
    cleanups.push(backend.close);
    const cp = await TestControlPlane.start();
    cleanups.push(() => cp.stop());
    const mosn = await startXdsMosn(cp, cleanups);
    await cp.waitForRequest((r) => r.typeUrl === LISTENER_TYPE);
    await cp.waitForRequest((r) => r.typeUrl === CLUSTER_TYPE);
    expect(await mosn.admin('GET', '/ready')).toEqual({ status: 503, body: 'INITIALIZING\n' });
    expect((await mosn.admin('GET', '/api/v1/states')).body).toMatch(/&state=6&state_name=Running&/);

    const port = await closedPort();
    cp.setResources(CLUSTER_TYPE, 'c1', [{ name: 'svc', resource: edsCluster('svc') }]);
    cp.setResources(ENDPOINT_TYPE, 'e1', [{ name: 'svc', resource: endpoints('svc', [backend.address]) }]);
    cp.setResources(ROUTE_TYPE, 'r1', [{ name: 'routes', resource: routeConfig('routes', [['/', 'svc']]) }]);
    cp.setResources(LISTENER_TYPE, 'l1', [{ name: 'http', resource: httpListener('http', port, 'routes') }]);
    let last: unknown;
    await waitUntil(
      async () => {
        last = await mosn.admin('GET', '/ready');
        return (last as { status: number }).status === 200;
      },
      10_000,
      'ready once the first CDS and LDS are applied',
      () => JSON.stringify(last),
    );
    expect(last).toEqual({ status: 200, body: 'LIVE\n' });
    await waitUntil(async () => (await get(port, '/x').catch(() => undefined))?.body === 'a /x', 10_000, 'the pushed listener serves');

    const dump = await mosn.admin('GET', '/api/v1/config_dump');
    expect(dump.body.xds.versions).toMatchObject({ CDS: 'c1', LDS: 'l1' });
    expect(Object.keys((await mosn.admin('GET', '/api/v1/config_dump?allclusters')).body)).toEqual(['svc']);
    expect((await mosn.admin('GET', '/api/v1/config_dump?listener=http')).body).toMatchObject({ name: 'http' });
    expect((await mosn.admin('GET', '/api/v1/config_dump?router=routes')).body).toMatchObject({ router_config_name: 'routes' });
  });
});
