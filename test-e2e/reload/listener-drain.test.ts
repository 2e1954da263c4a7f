import http from 'node:http';
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Listener, Mosn } from 'mosn';
import { cleanupAfterEach, cluster, startMosnWithCleanup } from '../helpers.js';
import { BoltConn, CMD_TYPE, decodeResponse, encodeRequest, SERVICE, startRpcServer } from '../bolt/peers.js';
import { direct, heldBackend, mosnConfig, openFilesLimit, proxyListener, request, router, serviceRouter, stepsOf, tcpProbe, toCluster, waitUntil, type Answer } from './support.js';

// Removing a listener while it serves (mosn.removeListener, the same apply as a reload): it stops accepting at
// once; idle HTTP/1 connections are closed by mosn at once, busy ones after their response; Bolt connections once
// their calls are answered; what is left at `graceful_timeout` is closed then. mosn runs in this process, so the
// removed Listener object can be watched (`connections.size`) after it left `mosn.listeners`.

const cleanups = cleanupAfterEach();

/** The running Listener object of that name (kept by the test: a removed listener is no longer listed). */
function listenerOf(mosn: Mosn, name: string): Listener {
  const l = mosn.listeners.find((x) => x.name === name);
  if (!l) throw new Error(`no listener ${name}`);
  return l;
}

/**
 * mosn in this process, stopped by `cleanups`: listener `l` (`protocol`, default Http1; `upstream`) → `router` (named
 * `r`) → cluster `c` at `host`, with `graceful_timeout`. Returns the running Listener `l` too.
 */
async function startDrain(o: { gracefulTimeout: string; router: unknown; host: string; protocol?: string; upstream?: string }): Promise<{ mosn: Mosn; p: number; listener: Listener }> {
  const { mosn, p } = await startMosnWithCleanup(
    mosnConfig({
      server: { graceful_timeout: o.gracefulTimeout },
      routers: [o.router],
      listeners: [proxyListener('l', 0, o.protocol ?? 'Http1', 'r', { upstream: o.upstream })],
      clusters: [cluster('c', [o.host])],
    }),
    cleanups,
  );
  return { mosn, p, listener: listenerOf(mosn, 'l') };
}

// 1,000 idle keep-alive connections and 100 in flight. This one process holds every side of them: the client
// sockets, mosn's downstream sockets, and for the 100 in flight mosn's upstream sockets and the backend's sockets:
// about 2 × 1,000 + 4 × 100 descriptors. With a low `ulimit -n` the idle count is scaled down (and said so).
const BUSY = 100;
const IDLE = (() => {
  const wanted = 1000;
  const limit = openFilesLimit();
  const fits = Math.floor((limit - 4 * BUSY - 300) / 2);
  if (fits >= wanted) return wanted;
  const n = Math.max(50, fits);
  console.warn(`listener-drain: open-files limit ${limit} is too low for ${wanted} idle connections; using ${n}`);
  return n;
})();

describe('removing an HTTP/1 listener drains it', () => {
  it(`${IDLE} idle keep-alive connections are closed at once, ${BUSY} requests in flight are all answered, then the listener has no connection left`, async () => {
    const backend = await heldBackend('B');
    cleanups.push(backend.close);
    const { mosn, p, listener } = await startDrain({ gracefulTimeout: '5s', router: router('r', [direct('/idle', 'idle'), toCluster('/', 'c')]), host: backend.address });

    // IDLE keep-alive connections, each used once (answered by mosn itself) and left open in the agent
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity });
    cleanups.push(() => agent.destroy());
    const warm = await Promise.all(Array.from({ length: IDLE }, () => request(p, '/idle', agent)));
    expect(warm.every((a) => a.status === 200 && a.body === 'idle')).toBe(true);
    const idleSockets = new Set<net.Socket>(warm.map((a) => a.socket));
    expect(idleSockets.size).toBe(IDLE);
    let idleClosed = 0;
    let idleEndedByServer = 0;
    for (const s of idleSockets) {
      s.once('end', () => idleEndedByServer++);
      s.once('close', () => idleClosed++);
    }
    await waitUntil(() => listener.connections.size === IDLE, 5000, 'mosn holds every idle connection', () => `(${listener.connections.size})`);

    // BUSY requests, each on its own connection, held by the backend
    let settled = 0;
    const busy = Array.from({ length: BUSY }, (_, i) => {
      const r = request(p, `/hold/${i}`);
      r.then(
        () => settled++,
        () => settled++,
      );
      return r.then(
        (a): Answer | Error => a,
        (e: Error) => e,
      );
    });
    await waitUntil(() => backend.held() === BUSY, 10_000, 'the backend holds every request', () => `(${backend.held()} held)`);
    expect(listener.connections.size).toBe(IDLE + BUSY);

    const t0 = Date.now();
    const r = await mosn.removeListener('l');
    expect(stepsOf(r)).toEqual(['listener remove l']);
    expect(mosn.listeners.map((l) => l.name)).toEqual([]);
    expect(listener.accepting).toBe(false);
    // new connections are refused at once
    expect(await tcpProbe(p)).toBe('refused');
    await expect(request(p, '/late')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    // the idle ones are closed by mosn, promptly (long before graceful_timeout)
    await waitUntil(() => idleClosed === IDLE, 2000, 'mosn closes every idle connection', () => `(${idleClosed} of ${IDLE} closed)`);
    const idleGoneMs = Date.now() - t0;
    expect(idleEndedByServer).toBe(IDLE);
    await waitUntil(() => listener.connections.size === BUSY, 2000, 'only the busy connections are left', () => `(${listener.connections.size})`);
    expect(idleGoneMs).toBeLessThan(2000);

    // the busy ones wait for their responses
    await new Promise((res) => setTimeout(res, 200));
    expect(settled).toBe(0);
    expect(backend.held()).toBe(BUSY);
    expect(listener.connections.size).toBe(BUSY);

    backend.release();
    const answers = await Promise.all(busy);
    const failures = answers.map((a, i) => (a instanceof Error ? `#${i}: ${a.message}` : a.status !== 200 || a.body !== `B /hold/${i}` ? `#${i}: ${a.status} ${a.body}` : '')).filter((x) => x !== '');
    expect(failures).toEqual([]);
    // each answered with `connection: close` (docs/reload.md)
    expect(answers.filter((a) => !(a instanceof Error) && a.headers.connection !== 'close').length).toBe(0);

    // then mosn closes them: the removed listener has no connection left, well before graceful_timeout
    await waitUntil(() => listener.connections.size === 0, 3000, 'the removed listener has no connection left', () => `(${listener.connections.size})`);
    expect(Date.now() - t0).toBeLessThan(5000);
    await waitUntil(() => answers.every((a) => !(a instanceof Error) && a.socket.destroyed), 3000, 'every client socket is closed');
  }, 60_000);

  it('a request still unanswered at graceful_timeout has its connection closed then (not before)', async () => {
    const backend = await heldBackend('B');
    cleanups.push(backend.close);
    const { mosn, p, listener } = await startDrain({ gracefulTimeout: '1s', router: router('r', [toCluster('/', 'c')]), host: backend.address });
    const pending = request(p, '/hold/forever').then(
      (a) => ({ answered: a as Answer | undefined, at: Date.now() }),
      (e: NodeJS.ErrnoException) => ({ answered: undefined, error: e, at: Date.now() }),
    );
    await waitUntil(() => backend.held() === 1, 3000, 'the backend holds the request');
    const t0 = Date.now();
    expect(stepsOf(await mosn.removeListener('l'))).toEqual(['listener remove l']);
    await new Promise((res) => setTimeout(res, 600));
    expect(listener.connections.size).toBe(1);
    const outcome = await pending;
    const after = outcome.at - t0;
    expect(outcome.answered).toBeUndefined();
    expect(after).toBeGreaterThanOrEqual(900);
    expect(after).toBeLessThan(3000);
    await waitUntil(() => listener.connections.size === 0, 1000, 'no connection left after graceful_timeout');
  });
});

describe('removing a Bolt listener drains it', () => {
  it('an idle Bolt connection is closed at once; one with a call in flight gets its answer, then is closed; new connects are refused', async () => {
    const server = await startRpcServer('S');
    cleanups.push(server.close);
    const { mosn, p, listener } = await startDrain({ gracefulTimeout: '5s', router: serviceRouter('r', 'c'), host: server.address, protocol: 'bolt', upstream: 'bolt' });
    const idle = await BoltConn.connect(p);
    const busy = await BoltConn.connect(p);
    cleanups.push(() => idle.close(), () => busy.close());
    // the idle one served a call already (so that mosn knows it is Bolt), and has nothing in flight now
    idle.write(encodeRequest(1, { method: 'echo', args: ['warm'] }));
    expect(decodeResponse(await idle.response(1)).appResponse).toBe('warm');
    await waitUntil(() => listener.connections.size === 2, 3000, 'mosn holds both connections');

    busy.write(encodeRequest(7, { method: 'slow', args: [800], service: SERVICE, timeout: 5000 }));
    await waitUntil(() => server.requests.some((q) => q.method === 'slow'), 3000, 'the server got the slow call');

    const t0 = Date.now();
    expect(stepsOf(await mosn.removeListener('l'))).toEqual(['listener remove l']);
    expect(await tcpProbe(p)).toBe('refused');
    await idle.until(() => idle.closed, 2000, 'mosn closes the idle Bolt connection');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(busy.closed).toBe(false);

    const answer = await busy.response(7, 5000);
    expect(answer.type).toBe(CMD_TYPE.response);
    expect(answer.status).toBe(0);
    expect(decodeResponse(answer).appResponse).toBe('S');
    await busy.until(() => busy.closed, 3000, 'mosn closes the Bolt connection once its call is answered');
    expect(Date.now() - t0).toBeLessThan(5000);
    await waitUntil(() => listener.connections.size === 0, 1000, 'the removed listener has no connection left');
  });
});
