import { readFileSync } from 'node:fs';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '@mosn/xds';
import { TestControlPlane } from '@mosn/xds/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, get, httpBackend, REPO_ROOT, waitUntil } from '../helpers.js';
import { startMosnProcess } from '../reload/support.js';
import { edsCluster, endpoints, httpListener, routeConfig } from './support.js';

// configs/mosn_xds_config.json (the README's bootstrap) runs: only the control plane's and the admin API's ports
// are changed to free ones.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('configs/mosn_xds_config.json', () => {
  it('follows the control plane it names and serves what it sends', async () => {
    const app = await httpBackend((req, res) => res.end(`app ${req.url}`));
    cleanups.push(() => app.close());
    const cp = await TestControlPlane.start();
    cleanups.push(() => cp.stop());
    const port = await closedPort();
    cp.setResources(LISTENER_TYPE, '1', [{ name: 'ingress', resource: httpListener('ingress', port, 'ingress-routes') }]);
    cp.setResources(ROUTE_TYPE, '1', [{ name: 'ingress-routes', resource: routeConfig('ingress-routes', [['/', 'app']]) }]);
    cp.setResources(CLUSTER_TYPE, '1', [{ name: 'app', resource: edsCluster('app') }]);
    cp.setResources(ENDPOINT_TYPE, '1', [{ name: 'app', resource: endpoints('app', [app.address]) }]);

    const config = JSON.parse(readFileSync(`${REPO_ROOT}configs/mosn_xds_config.json`, 'utf8'));
    config.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = cp.port;
    config.admin.address.socket_address.port_value = await closedPort();
    const mosn = await startMosnProcess(config, cleanups);
    await waitUntil(() => get(port, '/hello').then((r) => r.body === 'app /hello', () => false), 10_000, 'the pushed listener serving');
    expect(cp.requests[0]!.node).toMatchObject({ id: 'sidecar~127.0.0.1~demo-app.default~default.svc.cluster.local', cluster: 'demo-app' });
    expect(((await mosn.configDump()) as { xds: { versions: Record<string, string> } }).xds.versions).toEqual({ CDS: '1', EDS: '1', LDS: '1', RDS: '1' });
  });
});
