import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RemoteJwks } from './remote-jwks.js';
import { testKey, type TestKey } from './testing.js';

// A remote JWKS served by a node:http server on 127.0.0.1: fetched once for many requests, kept for its cache
// duration, fetched again after; failures reported and kept nowhere.

let key: TestKey;
beforeAll(async () => {
  key = await testKey('r-1');
});

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A JWKS server answering with `answer()` (status and body), counting requests; `release()` lets held answers go. */
async function jwksServer(answer: () => { status: number; body: string }, hold = false) {
  let requests = 0;
  const held: Array<() => void> = [];
  const server = http.createServer((_req, res) => {
    requests++;
    const send = () => {
      const a = answer();
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    };
    if (hold) held.push(send);
    else send();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  return { uri, requests: () => requests, release: () => held.splice(0).forEach((f) => f()), waiting: () => held.length };
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function events() {
  const log: string[] = [];
  return { log, events: { fetched: () => log.push('fetched'), failed: (_uri: string, reason: string) => log.push(`failed: ${reason}`) } };
}

const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('RemoteJwks', () => {
  it('has one fetch in flight for all who need the keys, and keeps them for cache_duration', async () => {
    const s = await jwksServer(() => ({ status: 200, body: JSON.stringify({ keys: [key.jwk] }) }), true);
    let now = 1_000_000;
    const e = events();
    const jwks = new RemoteJwks({ uri: s.uri, timeoutMs: 5000, cacheDurationMs: 60_000 }, e.events, () => now);
    expect(jwks.fresh()).toBeUndefined();
    const waiting = Array.from({ length: 20 }, () => jwks.fetch());
    await waitFor(() => s.waiting() === 1);
    s.release();
    const sets = await Promise.all(waiting);
    expect(new Set(sets).size).toBe(1);
    expect(sets[0]?.keys).toEqual([key.jwk]);
    expect([s.requests(), e.log]).toEqual([1, ['fetched']]);
    now += 59_999;
    expect(jwks.fresh()).toBe(sets[0]);
    now += 1;
    expect(jwks.fresh()).toBeUndefined();
    const again = jwks.fetch();
    await waitFor(() => s.waiting() === 1);
    s.release();
    expect((await again)?.keys).toEqual([key.jwk]);
    expect(s.requests()).toBe(2);
  });

  it('reports a server that is down, answers 500, sends no JWKS, or does not answer in time; and fetches again when asked', async () => {
    let answer = { status: 500, body: 'oops' };
    const s = await jwksServer(() => answer);
    const e = events();
    const jwks = new RemoteJwks({ uri: s.uri, timeoutMs: 5000, cacheDurationMs: 60_000 }, e.events);
    expect(await jwks.fetch()).toBeUndefined();
    answer = { status: 200, body: '{"keys": "none"}' };
    expect(await jwks.fetch()).toBeUndefined();
    answer = { status: 200, body: JSON.stringify({ keys: [key.jwk] }) };
    expect((await jwks.fetch())?.keys).toEqual([key.jwk]);
    expect(e.log).toEqual([`failed: ${s.uri} answered 500`, `failed: ${s.uri} sent no usable JWKS: expected a JWKS: a JSON object with a "keys" array`, 'fetched']);

    const closed = `http://127.0.0.1:${await closedPort()}/jwks`;
    const down = new RemoteJwks({ uri: closed, timeoutMs: 5000, cacheDurationMs: 60_000 }, e.events);
    expect(await down.fetch()).toBeUndefined();
    expect(e.log[3]).toMatch(`failed: ${closed}: connect ECONNREFUSED`);

    const slow = await jwksServer(() => answer, true);
    const late = new RemoteJwks({ uri: slow.uri, timeoutMs: 100, cacheDurationMs: 60_000 }, e.events);
    expect(await late.fetch()).toBeUndefined();
    expect(e.log[4]).toBe(`failed: ${slow.uri} did not answer within 100 ms`);
  });
});
