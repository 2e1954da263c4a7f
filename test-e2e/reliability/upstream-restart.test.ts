import http2 from 'node:http2';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, cluster, httpProxyConfig, startMosnWithCleanup } from '../helpers.js';
import { h2Client } from '../reload/support.js';

/*
 * An upstream restarted under mosn (the soak's upstream churn, docs/reliability.md): the requests in flight fail,
 * and the ones after it is back are served again on new upstream connections.
 */

const cleanups = cleanupAfterEach();

/** A node:http2 server on `port` (0: any) answering `<name> <path>`; `stop` destroys its connections. */
async function h2Server(name: string, port = 0): Promise<{ port: number; stop: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = http2.createServer((req, res) => res.end(`${name} ${req.url}`));
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  cleanups.push(stop);
  return { port: (server.address() as net.AddressInfo).port, stop };
}

describe('an upstream restarted under mosn', () => {
  it('HTTP/2: requests after the restart are answered by the new server (before the fix they hung on the old session)', async () => {
    const first = await h2Server('first');
    const { p } = await startMosnWithCleanup(
      httpProxyConfig({
        downstreamProtocol: 'Http2',
        upstreamProtocol: 'Http2',
        routes: [{ match: { prefix: '/' }, route: { cluster_name: 'c' } }],
        clusters: [cluster('c', [`127.0.0.1:${first.port}`])],
      }),
      cleanups,
    );
    const client = await h2Client(p);
    cleanups.push(() => client.close());
    expect((await client.request('/a')).body).toBe('first /a');
    // the server goes away (its connections closed) and comes back on the same port
    await first.stop();
    await h2Server('second', first.port);
    // each request is bounded (2 s): a request sent on the dead session never ended
    const answers: string[] = [];
    for (let i = 0; i < 10 && !answers.includes('second /b'); i++) {
      const r = await client.request('/b', 2000).catch((e: Error) => ({ status: 0, body: e.message }));
      answers.push(r.status === 200 ? r.body : `status ${r.status}`);
    }
    expect(answers).toContain('second /b');
    // nothing hung: every request before the answer was refused at once (502: upstream reset or connect failed)
    for (const a of answers.slice(0, -1)) expect(a).toBe('status 502');
  }, 60_000);
});
