import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  DEMO,
  decodeResponse,
  DubboConn,
  dubboConsumer,
  encodeHeartbeat,
  encodeRequest,
  java,
  ORDER,
  rawCall,
  startProvider,
  STATUS,
  type TestConsumer,
  type TestProvider,
} from './peers.js';
import { cleanupAfterEach } from '../helpers.js';

// consumer → provider, no mosn: proves the harness (and documents the peers) before mosn is put in between.

const cleanups = cleanupAfterEach();

async function provider(name = 'A', opts: Parameters<typeof startProvider>[1] = {}): Promise<TestProvider> {
  const p = await startProvider(name, opts);
  cleanups.push(p.close);
  return p;
}
function consumer(address: string, opts: Parameters<typeof dubboConsumer>[1] = {}): TestConsumer {
  const c = dubboConsumer(address, opts);
  cleanups.push(() => c.close());
  return c;
}
async function conn(port: number): Promise<DubboConn> {
  const c = await DubboConn.connect(port);
  cleanups.push(() => c.close());
  return c;
}

describe('the Dubbo harness, directly (dubbo2.js / raw frames → apache-dubbo-service)', () => {
  it('binds 127.0.0.1 on port 0', async () => {
    const p = await provider();
    expect(p.host).toBe('127.0.0.1');
    expect(p.port).toBeGreaterThan(0);
    expect(p.address).toBe(`127.0.0.1:${p.port}`);
  });

  it('dubbo2.js: echo, plus with boxed Integers, two services; one connection; 0 comes back as null', async () => {
    const p = await provider();
    const c = consumer(p.address);
    expect(await c.call('echo', [java.String('hello')])).toEqual({ res: 'hello', err: null });
    expect(await c.call('plus', [java.Integer(2), java.Integer(3)])).toEqual({ res: 5, err: null });
    expect(await c.call('whoami', [], { service: ORDER })).toEqual({ res: 'A', err: null });
    expect(await c.call('zero', [])).toEqual({ res: null, err: null }); // the provider's trap: 0 → null
    expect(p.connections).toBe(1);
    expect(p.requests.map((r) => [r.service, r.method])).toEqual([[DEMO, 'echo'], [DEMO, 'plus'], [ORDER, 'whoami'], [DEMO, 'zero']]);
    expect(p.requests[1]).toMatchObject({ version: '1.0.0', group: '', types: 'Ljava/lang/Integer;Ljava/lang/Integer;', args: [2, 3], twoWay: true });
    expect(p.requests[0]!.attachments).toMatchObject({ path: DEMO, interface: DEMO, application: 'dubbo2.js' });
  });

  it('an exception reaches dubbo2.js as its bare message; the provider keeps serving', async () => {
    const p = await provider();
    const c = consumer(p.address);
    const r = await c.call('fail', []);
    expect(r.res).toBeNull();
    expect(r.err?.message).toBe('boom from A');
    expect((await c.call('echo', [java.String('after')])).res).toBe('after');
    expect(p.errors).toEqual([]);
  });

  it('unknown method, other version, other group: status 60 from the provider (dubbo2.js shows the raw body)', async () => {
    const p = await provider('A', { services: [{ interface: DEMO }, { interface: DEMO, group: 'blue' }] });
    const c = consumer(p.address);
    const unknown = await c.call('nope', []);
    expect(unknown.err?.message).toContain(`SERVICE_NOT_FOUND#Service not found with ${DEMO} and nope, group:, version:1.0.0`);
    expect((await c.call('whoami', [], { version: '2.0.0' })).err?.message).toContain('version:2.0.0');
    expect((await c.call('group', [], { group: 'blue' })).res).toBe('A:blue');
    expect((await c.call('group', [], { group: 'green' })).err?.message).toContain('group:green');
    // raw: the status byte and the hessian2 string
    const raw = await conn(p.port);
    const r = await rawCall(raw, 7, { method: 'whoami', version: '9.9.9' });
    expect(r.frame).toMatchObject({ isRequest: false, isEvent: false, status: STATUS.SERVICE_NOT_FOUND, requestId: 7 });
    expect(r.error).toBe(`SERVICE_NOT_FOUND#Service not found with ${DEMO} and whoami, group:, version:9.9.9`);
  });

  it('raw frames: ids up to 2^53 - 1 come back; a primitive "II" descriptor is miscounted as one argument', async () => {
    const p = await provider();
    const c = await conn(p.port);
    const big = await rawCall(c, 2 ** 53 - 1, { method: 'echo', args: [java.String('big id')] });
    expect(big.frame).toMatchObject({ requestId: 2 ** 53 - 1, status: STATUS.OK, flag: 0x02 });
    expect(big.value).toBe('big id');
    const boxed = await rawCall(c, 2, { method: 'plus', args: [java.Integer(20), java.Integer(22)] });
    expect(boxed.value).toBe(42);
    await rawCall(c, 3, { method: 'plus', args: [java.int(20), java.int(22)] });
    expect(p.requests[2]).toMatchObject({ types: 'II', args: [20] }); // the trap: use boxed types
    const thrown = await rawCall(c, 4, { method: 'fail' });
    expect(thrown.frame.status).toBe(STATUS.OK);
    expect(thrown.exception).toBe('boom from A'); // a bare string, not a Throwable
  });

  it('heartbeats: answered by the provider with id 0 and status 0 (not Dubbo-standard), not seen as requests', async () => {
    const p = await provider();
    const c = await conn(p.port);
    c.write(encodeHeartbeat(41));
    const hb = await c.until(() => c.frames[0], 3000, 'heartbeat answer');
    expect(hb).toMatchObject({ isRequest: false, isEvent: true, requestId: 0, status: 0, flag: 0x62 });
    expect(decodeResponse({ ...hb, status: STATUS.OK }).value).toBeNull();
    expect(p.heartbeats).toBe(1);
    expect(p.requests).toHaveLength(0);
  });

  it('one-way: the request reaches the provider, which answers it anyway (a proxy must drop that answer)', async () => {
    const p = await provider();
    const c = await conn(p.port);
    c.write(encodeRequest(51, { method: 'echo', args: [java.String('one-way')], oneWay: true }));
    const answer = await c.response(51);
    expect(answer.status).toBe(STATUS.OK);
    expect(p.requests).toMatchObject([{ args: ['one-way'], twoWay: false }]);
  });

  it('groups and attachments in a hand-built frame reach the provider', async () => {
    const p = await provider('A', { services: [{ interface: ORDER, group: 'canary', version: '2.0.0' }] });
    const c = await conn(p.port);
    const r = await rawCall(c, 61, { service: ORDER, version: '2.0.0', group: 'canary', method: 'group', attachments: { 'x-trace': 't-61' } });
    expect(r.value).toBe('A:canary');
    expect(p.requests[0]!.attachments).toMatchObject({ group: 'canary', 'x-trace': 't-61', version: '2.0.0' });
  });

  it('9 MiB: dubbo2.js refuses to encode it (8 MiB limit); a hand-built frame reaches the provider', async () => {
    const p = await provider();
    const c = consumer(p.address);
    const big = Buffer.alloc(9 * 1024 * 1024, 0x61);
    // connected first: a call queued before the connection is up is encoded in the socket's connect
    // callback, where an encode error is an uncaught exception
    expect((await c.call('whoami', [])).res).toBe('A');
    const refused = await c.call('size', [java.String(big.toString('latin1'))]);
    expect(refused.err?.message).toMatch(/Data length too large: 94\d{5}, max payload: 8388608/);
    const raw = await conn(p.port);
    const r = await rawCall(raw, 71, { method: 'size', args: [big] }, 10_000);
    expect(r.value).toBe(big.length);
  }, 15_000);

  it('dubbo2.js without reconnects: a lost connection fails the calls in flight at once; close() ends it for good', async () => {
    const p = await provider();
    const c = consumer(p.address, { timeoutSec: 10 });
    expect((await c.call('whoami', [])).res).toBe('A');
    const inflight = c.call('slow', [java.Integer(5000)]);
    await sleep(100);
    p.kill();
    const r = await inflight;
    // failed by the lost connection, not by the 5 s slow call finishing (the provider is gone)
    expect(r.err?.message).toBe('socket-worker was closed.');
    c.close();
    expect((await c.call('whoami', [])).err?.message).toMatch(/closed/);
  });

  it('2,000 concurrent calls from 4 dubbo2.js consumers all get their own answers', async () => {
    const p = await provider();
    const cs = [0, 1, 2, 3].map(() => consumer(p.address, { timeoutSec: 20 }));
    const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => cs[i % 4]!.call('echo', [java.String(`payload-${i}`)])));
    results.forEach((r, i) => expect(r).toEqual({ res: `payload-${i}`, err: null }));
    expect(p.connections).toBe(4);
    // dubbo2.js request ids are one counter per process: no two calls share an id
    expect(new Set(p.requests.map((r) => r.id)).size).toBe(2000);
  }, 30_000);
});
