import http2 from 'node:http2';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '@mosn/xds';
import { TestControlPlane } from '@mosn/xds/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVICE, rpcClient, startRpcServer } from '../bolt/peers.js';
import { closedPort, waitUntil } from '../helpers.js';
import { edsCluster, endpoints, httpListener, mosnProxyListener, routeConfig, serviceRoutes, startXdsMosn } from './support.js';

// HTTP/2 and Bolt listeners pushed by ADS (Bolt through MOSN's `proxy` filter carried as a TypedStruct).

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** One h2c GET through `port`: the body. */
async function h2get(port: number, path: string): Promise<string> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  try {
    return await new Promise<string>((resolve, reject) => {
      session.on('error', reject);
      const req = session.request({ ':path': path });
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => resolve(body));
      req.on('error', reject);
    });
  } finally {
    session.close();
  }
}

describe('xDS: HTTP/2 and Bolt listeners from the control plane', () => {
  it('carries h2c requests and Bolt calls on listeners, routes and clusters pushed by ADS, and follows an endpoint push', async () => {
    const h2 = http2.createServer((req, res) => res.end(`h2 backend ${req.url}`));
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => h2.close(() => r(undefined))));
    const h2addr = `127.0.0.1:${(h2.address() as { port: number }).port}`;
    const [one, two] = [await startRpcServer('one'), await startRpcServer('two')];
    cleanups.push(() => one.close(), () => two.close());

    const cp = await TestControlPlane.start();
    cleanups.push(() => cp.stop());
    const [h2port, boltPort] = [await closedPort(), await closedPort()];
    cp.setResources(LISTENER_TYPE, '1', [
      { name: 'h2', resource: httpListener('h2', h2port, 'h2-routes', 'HTTP2') },
      { name: 'bolt', resource: mosnProxyListener('bolt', boltPort, 'bolt', 'bolt-routes') },
    ]);
    cp.setResources(ROUTE_TYPE, '1', [
      { name: 'h2-routes', resource: routeConfig('h2-routes', [['/', 'h2-svc']]) },
      { name: 'bolt-routes', resource: serviceRoutes('bolt-routes', SERVICE, 'bolt-svc') },
    ]);
    cp.setResources(CLUSTER_TYPE, '1', [
      { name: 'h2-svc', resource: edsCluster('h2-svc', { http2_protocol_options: {} }) },
      { name: 'bolt-svc', resource: edsCluster('bolt-svc') },
    ]);
    cp.setResources(ENDPOINT_TYPE, '1', [
      { name: 'h2-svc', resource: endpoints('h2-svc', [h2addr]) },
      { name: 'bolt-svc', resource: endpoints('bolt-svc', [one.address]) },
    ]);
    await startXdsMosn(cp, cleanups);

    let h2body = '';
    await waitUntil(async () => (h2body = await h2get(h2port, '/a').catch((e: Error) => e.message)) === 'h2 backend /a', 10_000, 'h2c through mosn', () => h2body);

    const client = rpcClient(`127.0.0.1:${boltPort}`);
    cleanups.push(() => client.close());
    let who = '';
    await waitUntil(async () => (who = await client.invoke<string>('whoami', []).catch((e: Error) => e.message)) === 'one', 10_000, 'Bolt through mosn', () => who);
    expect(await client.invoke('plus', [2, 3])).toBe(5);

    cp.setResources(ENDPOINT_TYPE, '2', [
      { name: 'h2-svc', resource: endpoints('h2-svc', [h2addr]) },
      { name: 'bolt-svc', resource: endpoints('bolt-svc', [two.address]) },
    ]);
    await waitUntil(async () => (who = await client.invoke<string>('whoami', []).catch((e: Error) => e.message)) === 'two', 10_000, 'the Bolt endpoint push', () => who);
  });
});
