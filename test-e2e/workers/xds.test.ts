import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '@mosn/xds';
import { TestControlPlane } from '@mosn/xds/testing';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, httpBackend, waitUntil } from '../helpers.js';
import { startMosnProcess } from '../reload/support.js';
import { bootstrapConfig, edsCluster, endpoints, httpListener, routeConfig } from '../xds/support.js';
import { many, workerPids } from './support.js';

// xDS with workers (mosn as its own process): the primary holds the one ADS stream of the sidecar and gives every
// worker what it applies; a push reaches every worker, a NACK changes none, a restarted worker serves what the
// others serve.

const cleanups = cleanupAfterEach();

describe('workers under a control plane', () => {
  it('one ADS stream for the group; pushes reach every worker; a NACK changes none; a restarted worker gets the pushed config', async () => {
    const a = await httpBackend((req, res) => res.end('a'));
    const b = await httpBackend((req, res) => res.end('b'));
    cleanups.push(a.close, b.close);
    const cp = await TestControlPlane.start();
    cleanups.push(() => cp.stop());
    const port = await closedPort();
    cp.setResources(LISTENER_TYPE, 'l1', [{ name: 'http', resource: httpListener('http', port, 'routes') }]);
    cp.setResources(ROUTE_TYPE, 'r1', [{ name: 'routes', resource: routeConfig('routes', [['/', 'svc']]) }]);
    cp.setResources(CLUSTER_TYPE, 'c1', [{ name: 'svc', resource: edsCluster('svc') }]);
    cp.setResources(ENDPOINT_TYPE, 'e1', [{ name: 'svc', resource: endpoints('svc', [a.address]) }]);
    const mosn = await startMosnProcess(bootstrapConfig(cp, await closedPort()), cleanups, { args: ['--workers', '2'], startedLine: 'mosn started with 2 workers' });

    await waitUntil(async () => (await many(port, 1)).get('200 a') === 1, 10_000, 'the pushed listener served');
    expect(Object.fromEntries(await many(port, 100))).toEqual({ '200 a': 100 });
    for (const id of [1, 2]) {
      const s = (await mosn.admin('GET', `/api/v1/stats?worker=${id}`)).body as Record<string, number>;
      expect(s['listener.http.downstream_rq_total'], `worker ${id} served the pushed listener`).toBeGreaterThan(0);
    }
    // the sidecar opened one stream, ACKed each type once per version
    expect(cp.requests.filter((r) => r.node !== undefined)).toHaveLength(1);
    await cp.waitForRequest((r) => r.typeUrl === ENDPOINT_TYPE && r.versionInfo === 'e1' && !r.errorDetail);

    // an endpoint push: every new connection, on either worker, goes to the new host
    cp.setResources(ENDPOINT_TYPE, 'e2', [{ name: 'svc', resource: endpoints('svc', [b.address]) }]);
    await cp.waitForRequest((r) => r.typeUrl === ENDPOINT_TYPE && r.versionInfo === 'e2' && !r.errorDetail);
    expect(Object.fromEntries(await many(port, 100))).toEqual({ '200 b': 100 });

    // a bad cluster is NACKed once, and no worker changes
    const since = cp.requests.length;
    cp.setResources(CLUSTER_TYPE, 'c2', [{ name: 'svc', resource: edsCluster('svc', { lb_policy: 'RING_HASH' }) }]);
    const nack = await cp.waitForRequest((r) => r.typeUrl === CLUSTER_TYPE && r.errorDetail !== undefined, 5000, since);
    expect(nack.versionInfo).toBe('c1');
    expect(Object.fromEntries(await many(port, 50))).toEqual({ '200 b': 50 });
    expect((await mosn.stats())['xds.cds.nack']).toBe(1);

    // a worker killed: the one started in its place serves the pushed listener with the pushed endpoints
    const mark = mosn.output().length;
    process.kill(workerPids(mosn).get(2)!, 'SIGKILL');
    await mosn.waitLog((l) => l.msg === 'worker serves' && l['workerId'] === 2, mark, 15_000, 'worker 2 again');
    expect(Object.fromEntries(await many(port, 200))).toEqual({ '200 b': 200 });
    const two = (await mosn.admin('GET', '/api/v1/stats?worker=2')).body as Record<string, number>;
    expect(two['listener.http.downstream_rq_total']).toBeGreaterThan(0);
    // still one stream: the primary's
    expect(cp.requests.filter((r) => r.node !== undefined)).toHaveLength(1);
  });
});
