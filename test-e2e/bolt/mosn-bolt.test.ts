import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Mosn } from 'mosn';
import { cleanupAfterEach, cluster, port, startMosn } from '../helpers.js';
import {
  BoltConn,
  CMD_CODE,
  CMD_TYPE,
  decodeResponse,
  encodeHeartbeat,
  encodeRequest,
  OTHER_SERVICE,
  rawCall,
  rpcClient,
  SERVICE,
  startRpcServer,
  type RawFrame,
  type TestClient,
  type TestServer,
  waitFor,
} from './peers.js';

// SOFARPC Bolt through mosn, against sofa-rpc-node (server and client) and sofa-bolt-node (raw v1/v2 frames).
// Topologies: one hop   client → mosn (listener → cluster of servers) → server
//             two hops  client → mosn egress (cluster "mesh" = the ingress) → mosn ingress → server
// Each hop is its own in-process Mosn, so the egress cluster can name the ingress's real port.
// Written before mosn's Bolt proxying is complete: a test that fails here names what mosn does not do yet.

const cleanups = cleanupAfterEach();

// ---------------------------------------------------------------------------------------------------------
// MOSN config (MOSN's JSON keys: pkg/config/v2/route.go, cluster.go)

const serviceIs = (service: string) => ({ headers: [{ name: 'service', value: service }] });
const anyService = { headers: [{ name: 'service', value: '.*', regex: true }] };
const toCluster = (match: unknown, name: string) => ({ match, route: { cluster_name: name } });
const weighted = (match: unknown, w: Record<string, number>) => ({
  match,
  route: { weighted_clusters: Object.entries(w).map(([name, weight]) => ({ cluster: { name, weight } })) },
});

/** The routes of the brief: TestService → a; any other service → a 30 / b 70. */
const standardRoutes = [toCluster(serviceIs(SERVICE), 'a'), weighted(anyService, { a: 30, b: 70 })];

/** One listener `l` with a `proxy` filter for `protocol`, router `r`, and the clusters given. */
function boltConfig(o: { protocol?: string; routes: unknown[]; clusters: unknown[] }): unknown {
  const protocol = o.protocol ?? 'bolt';
  // a single protocol goes upstream as itself; a list or Auto goes upstream in each request's own protocol
  const single = !protocol.includes(',') && protocol.toLowerCase() !== 'auto';
  return {
    servers: [
      {
        default_log_path: 'stderr',
        default_log_level: 'ERROR',
        routers: [{ router_config_name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routers: o.routes }] }],
        listeners: [
          {
            name: 'l',
            address: '127.0.0.1:0',
            bind_port: true,
            filter_chains: [
              {
                filters: [
                  {
                    type: 'proxy',
                    config: { downstream_protocol: protocol, upstream_protocol: single ? protocol : 'Auto', router_config_name: 'r' },
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
    cluster_manager: { clusters: o.clusters },
  };
}

interface Mesh {
  /** Where clients connect: the ingress (one hop) or the egress (two hops). */
  port: number;
  ingress: Mosn;
  egress: Mosn | undefined;
}

async function started(config: unknown): Promise<Mosn> {
  const m = await startMosn(config);
  cleanups.push(() => m.stop(0));
  return m;
}

/** The ingress serves `routes` → `clusters`; with two hops an egress in front sends every service to it. */
async function mesh(hops: number, o: { protocol?: string; routes: unknown[]; clusters: unknown[] }): Promise<Mesh> {
  const ingress = await started(boltConfig(o));
  const ingressPort = port(ingress.listenerAddress('l'));
  if (hops === 1) return { port: ingressPort, ingress, egress: undefined };
  const egress = await started(
    boltConfig({
      ...(o.protocol ? { protocol: o.protocol } : {}),
      routes: [toCluster(anyService, 'mesh')],
      clusters: [cluster('mesh', [`127.0.0.1:${ingressPort}`])],
    }),
  );
  return { port: port(egress.listenerAddress('l')), ingress, egress };
}

async function server(name: string): Promise<TestServer> {
  const s = await startRpcServer(name);
  cleanups.push(s.close);
  return s;
}
function client(p: number): TestClient {
  const c = rpcClient(`127.0.0.1:${p}`);
  cleanups.push(c.close);
  return c;
}
async function conn(p: number): Promise<BoltConn> {
  const c = await BoltConn.connect(p);
  cleanups.push(() => c.close());
  return c;
}

/** Servers A and B, clusters a = [A] and b = [B], the standard routes. */
async function standardMesh(hops: number, protocol?: string) {
  const A = await server('A');
  const B = await server('B');
  const m = await mesh(hops, { ...(protocol ? { protocol } : {}), routes: standardRoutes, clusters: [cluster('a', [A.address]), cluster('b', [B.address])] });
  return { A, B, ...m };
}

const isError = (f: RawFrame) => f.type === CMD_TYPE.response && f.status !== undefined && f.status !== 0;

// ---------------------------------------------------------------------------------------------------------

describe.each([
  ['one hop', 1],
  ['two hops', 2],
])('Bolt v1 through mosn, %s', (_label, hops) => {
  it('echo, a thrown server error and an unknown method reach the client as the server gave them', async () => {
    const { A, B, port: p } = await standardMesh(hops);
    const c = client(p);
    expect(await c.invoke('echo', ['hello mosn'])).toBe('hello mosn');
    expect(await c.invoke('plus', [20, 22])).toBe(42);
    await expect(c.invoke('fail', [])).rejects.toThrow(/boom from A/);
    await expect(c.invoke('nope', [])).rejects.toThrow(/Can not find method: com\.alipay\.test\.TestService:1\.0#nope\(\)/);
    expect(await c.invoke('echo', ['still here'])).toBe('still here');
    expect(A.requests.map((r) => r.method)).toEqual(['echo', 'plus', 'fail', 'nope', 'echo']);
    expect(B.requests).toHaveLength(0);
    expect(A.connections).toBe(1);
  }, 15_000);

  it('5,000 concurrent calls from 4 client connections over one upstream connection, each answer to its caller', async () => {
    const { A, ingress, port: p } = await standardMesh(hops);
    const clients = [0, 1, 2, 3].map(() => client(p));
    const tag = Math.random().toString(36).slice(2);
    const payload = (i: number) => `${tag}-${i}-${'x'.repeat(i % 97)}`;
    const results = await Promise.allSettled(
      Array.from({ length: 5000 }, (_, i) => clients[i % 4]!.invoke<string>('echo', [payload(i)], { timeout: 30_000 })),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.length, `first failure: ${String((failed[0] as PromiseRejectedResult | undefined)?.reason)}`).toBe(0);
    const wrong = results.findIndex((r, i) => (r as PromiseFulfilledResult<string>).value !== payload(i));
    expect(wrong, 'an answer went to the wrong caller').toBe(-1);
    expect(A.requests).toHaveLength(5000);
    expect(A.connections, 'upstream connections to the server').toBe(1);
    if (hops === 2) expect(ingress.listeners[0]!.connections.size, 'egress → ingress connections').toBe(1);
  }, 60_000);

  it('routes two services to two servers by the service header; an unrouted service gets a Bolt error from mosn', async () => {
    const A = await server('A');
    const B = await server('B');
    const { port: p } = await mesh(hops, {
      routes: [toCluster(serviceIs(SERVICE), 'a'), toCluster(serviceIs(OTHER_SERVICE), 'b')],
      clusters: [cluster('a', [A.address]), cluster('b', [B.address])],
    });
    const c = client(p);
    for (let i = 0; i < 10; i++) {
      expect(await c.invoke('whoami', [])).toBe('A');
      expect(await c.invoke('whoami', [], { service: OTHER_SERVICE })).toBe('B');
    }
    expect(A.requests.every((r) => r.service === SERVICE)).toBe(true);
    expect(B.requests.every((r) => r.service === OTHER_SERVICE)).toBe(true);
    const raw = await conn(p);
    const missing = await rawCall(raw, 7001, { method: 'whoami', service: 'com.alipay.test.Missing:1.0' });
    expect(isError(missing.frame), `status ${missing.frame.status}`).toBe(true);
    expect(A.requests.length + B.requests.length).toBe(20);
  }, 15_000);

  it('weighted clusters 30/70 within statistical tolerance over 1,000 calls', async () => {
    const { A, B, port: p } = await standardMesh(hops);
    const c = client(p);
    const seen: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      seen.push(...(await Promise.all(Array.from({ length: 100 }, () => c.invoke<string>('whoami', [], { service: OTHER_SERVICE, timeout: 5000 })))));
    }
    const a = seen.filter((s) => s === 'A').length;
    const b = seen.filter((s) => s === 'B').length;
    expect(a + b).toBe(1000);
    // chi-square, 1 degree of freedom: 10.83 is the p = 0.001 bound
    const chi2 = (a - 300) ** 2 / 300 + (b - 700) ** 2 / 700;
    expect(chi2, `A ${a}, B ${b}`).toBeLessThan(10.83);
    expect(A.requests.length).toBe(a);
    expect(B.requests.length).toBe(b);
  }, 15_000);

  it('one-way requests reach the server and get no response from mosn', async () => {
    const { A, port: p } = await standardMesh(hops);
    const c = await conn(p);
    for (let i = 0; i < 3; i++) c.write(encodeRequest(8100 + i, { method: 'echo', args: [`one-way-${i}`], oneway: true }));
    // a normal request after them: its answer comes back; the server answers one-way requests too, mosn must drop those
    const after = await rawCall(c, 8200, { method: 'echo', args: ['two-way'] });
    expect(after.appResponse).toBe('two-way');
    await sleep(300);
    expect(A.requests.map((r) => r.args[0]).sort()).toEqual(['one-way-0', 'one-way-1', 'one-way-2', 'two-way']);
    expect(c.frames.map((f) => f.requestId)).toEqual([8200]);
  }, 15_000);

  it("a call's own timeout runs from when mosn sends it: a fast answer within it arrives, a slow one gets a timeout status at that time", async () => {
    // (a regression: the deadline once ran from 0 rather than from now, so in a process up for longer than a call's
    // timeout every call timed out at once)
    const A = await server('A');
    const { port: p } = await mesh(hops, { routes: [toCluster(anyService, 'a')], clusters: [cluster('a', [A.address])] });
    const c = await conn(p);
    await new Promise((r) => setTimeout(r, 400)); // this process is older than the timeout below, whatever came before
    const fast = await rawCall(c, 7001, { method: 'slow', args: [50], timeout: 300 });
    expect(fast.frame.status).toBe(0);
    const started = Date.now();
    const slow = await rawCall(c, 7002, { method: 'slow', args: [1500], timeout: 300 }, 3000);
    expect(slow.frame.status).not.toBe(0);
    expect(Date.now() - started, 'answered at its own timeout, not at the slow answer').toBeLessThan(1200);
    expect(Date.now() - started, 'not before its timeout').toBeGreaterThanOrEqual(250);
  }, 15_000);

  it('a server dying mid-load: in-flight calls get a Bolt error status, not a hang; later calls go to the survivor', async () => {
    const A = await server('A');
    const B = await server('B');
    const { port: p } = await mesh(hops, { routes: [toCluster(anyService, 'ab')], clusters: [cluster('ab', [A.address, B.address])] });
    const c = await conn(p);
    const ids = Array.from({ length: 40 }, (_, i) => 9000 + i);
    for (const id of ids) c.write(encodeRequest(id, { method: 'slow', args: [800], timeout: 10_000 }));
    await waitFor(() => A.requests.length + B.requests.length === 40, 3000, 'all 40 calls in flight at the servers');
    expect(A.requests.length, 'round robin').toBeGreaterThan(0);
    A.kill();
    // every in-flight call is answered long before the requests' own 10 s timeout
    await c.until(() => ids.every((id) => c.frames.some((f) => f.requestId === id)), 5000, 'every in-flight call answered');
    const answers = ids.map((id) => c.frames.find((f) => f.requestId === id)!);
    const errors = answers.filter(isError);
    const fromB = answers.filter((f) => f.status === 0).map((f) => decodeResponse(f).appResponse);
    expect(errors.length, 'errors = the calls that were on A; statuses ' + answers.map((f) => f.status).join(',')).toBe(A.requests.length);
    expect(errors.length + fromB.length).toBe(40);
    expect(new Set(fromB)).toEqual(new Set(['B']));
    // later calls: the first few may still find A dead (answered with an error); from the 11th on, every call is B's
    const later: Array<string | number> = [];
    for (let i = 0; i < 20; i++) {
      const r = await rawCall(c, 9500 + i, { method: 'whoami' }, 3000);
      later.push(r.frame.status === 0 ? String(r.appResponse) : r.frame.status!);
    }
    expect(later.filter((x) => typeof x === 'string').every((x) => x === 'B'), later.join(',')).toBe(true);
    expect(later.slice(10), `mosn still picks the dead host: later answers ${later.join(',')}`).toEqual(Array(10).fill('B'));
  }, 15_000);

  it('heartbeats from the client are answered by mosn itself; the server never sees them', async () => {
    const { A, port: p } = await standardMesh(hops);
    const c = await conn(p);
    expect((await rawCall(c, 9900, { method: 'echo', args: ['warm'] })).appResponse).toBe('warm'); // upstream connected
    for (const id of [9901, 9902, 9903]) c.write(encodeHeartbeat(id, 'v1'));
    for (const id of [9901, 9902, 9903]) {
      expect(await c.response(id)).toMatchObject({ proto: 1, type: CMD_TYPE.response, cmdCode: CMD_CODE.heartbeat, requestId: id, status: 0 });
    }
    await sleep(200);
    expect(A.heartbeats).toBe(0);
    expect(A.requests).toHaveLength(1);
  }, 15_000);
});

describe('bad bytes on a Bolt listener (bolt,boltv2): each gets its outcome; another connection keeps working', () => {
  /** A listener with a client already talking through it. */
  async function setup() {
    const A = await server('A');
    const m = await mesh(1, { protocol: 'bolt,boltv2', routes: [toCluster(anyService, 'a')], clusters: [cluster('a', [A.address])] });
    const good = client(m.port);
    expect(await good.invoke('echo', ['before'])).toBe('before');
    const stillWorks = async () => {
      expect(await good.invoke('echo', ['after'])).toBe('after');
      expect(await client(m.port).invoke('echo', ['new connection'])).toBe('new connection');
    };
    return { A, p: m.port, stillWorks };
  }
  /** Documented outcomes: the connection is closed, or an error response with the request id (then maybe closed). */
  function refused(o: Awaited<ReturnType<BoltConn['outcome']>>, id: number): void {
    if (o.kind === 'response') {
      expect(o.frame.requestId).toBe(id);
      expect(isError(o.frame), `status ${o.frame.status}`).toBe(true);
    } else expect(o.kind, 'the connection is neither closed nor answered').toBe('closed');
  }

  it('garbage: the connection is closed without a byte written back', async () => {
    const { p, stillWorks } = await setup();
    const c = await conn(p);
    c.write(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02, 0x03]), Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect((await c.outcome(undefined)).kind).toBe('closed');
    expect(c.frames).toHaveLength(0);
    await stillWorks();
  }, 15_000);

  it('a truncated frame and then end of input: closed, nothing forwarded', async () => {
    const { A, p, stillWorks } = await setup();
    const c = await conn(p);
    const frame = encodeRequest(1201, { method: 'echo', args: ['truncated'] });
    c.socket.end(frame.subarray(0, frame.length - 5));
    expect((await c.outcome(1201)).kind).toBe('closed');
    expect(A.requests.some((r) => r.args[0] === 'truncated')).toBe(false);
    await stillWorks();
  }, 15_000);

  it('a frame longer than the maximum (32 MiB declared, default limit 16 MiB): refused at once, not awaited', async () => {
    const { A, p, stillWorks } = await setup();
    const c = await conn(p);
    const frame = encodeRequest(1301, { method: 'echo', args: ['huge'] });
    // v1 request: contentLen at offset 18; declare 32 MiB and send only what we have
    frame.writeUInt32BE(32 * 1024 * 1024, 18);
    c.write(frame);
    refused(await c.outcome(1301), 1301);
    expect(A.requests.some((r) => r.args[0] === 'huge')).toBe(false);
    await stillWorks();
  }, 15_000);

  it('a frame split into 1-byte writes is served (v1 and v2)', async () => {
    const { p, stillWorks } = await setup();
    const c = await conn(p);
    await c.writeBytewise(encodeRequest(1401, { method: 'echo', args: ['bytewise v1'] }));
    expect(decodeResponse(await c.response(1401)).appResponse).toBe('bytewise v1');
    await c.writeBytewise(encodeRequest(1402, { method: 'echo', args: ['bytewise v2'], version: 'v2' }));
    const r = await c.response(1402);
    expect(r).toMatchObject({ proto: 2, crc: true, crcValid: true });
    expect(decodeResponse(r).appResponse).toBe('bytewise v2');
    await stillWorks();
  }, 15_000);

  it('a v2 frame with a bad CRC: refused, nothing forwarded', async () => {
    const { A, p, stillWorks } = await setup();
    const c = await conn(p);
    const frame = encodeRequest(1501, { method: 'echo', args: ['bad crc'], version: 'v2' });
    frame[frame.length - 1]! ^= 0xff;
    c.write(frame);
    refused(await c.outcome(1501), 1501);
    expect(A.requests.some((r) => r.args[0] === 'bad crc')).toBe(false);
    await stillWorks();
  }, 15_000);
});

describe.each([
  ['boltv2', 1],
  ['boltv2', 2],
  ['bolt,boltv2', 1],
  ['bolt,boltv2', 2],
  ['Auto', 1],
  ['Auto', 2],
])('Bolt v2 with CRC through mosn (downstream_protocol %s, %i hop(s))', (protocol, hops) => {
  it('sofa-bolt-node v2 frames: answered in v2 with a valid CRC and the request id; forwarded as v2', async () => {
    const { A, port: p } = await standardMesh(hops, protocol);
    const c = await conn(p);
    for (let i = 0; i < 5; i++) {
      const r = await rawCall(c, 2100 + i, { method: 'echo', args: [`v2 #${i}`], version: 'v2' });
      expect(r.frame).toMatchObject({ proto: 2, type: CMD_TYPE.response, requestId: 2100 + i, status: 0, crc: true, crcValid: true });
      expect(r.appResponse).toBe(`v2 #${i}`);
    }
    const err = await rawCall(c, 2199, { method: 'fail', version: 'v2' });
    expect(err.frame).toMatchObject({ proto: 2, requestId: 2199, crc: true, crcValid: true });
    expect(err.error?.message).toMatch(/boom from A/);
    expect(A.requests.every((r) => r.protocolType === 'bolt2' && r.crcEnable)).toBe(true);
  }, 15_000);

  it('v2 heartbeats are answered by mosn in v2 with a valid CRC', async () => {
    const { A, port: p } = await standardMesh(hops, protocol);
    const c = await conn(p);
    await rawCall(c, 2200, { method: 'echo', args: ['warm'], version: 'v2' });
    c.write(encodeHeartbeat(2201, 'v2'));
    expect(await c.response(2201)).toMatchObject({ proto: 2, cmdCode: CMD_CODE.heartbeat, status: 0, crc: true, crcValid: true });
    await sleep(200);
    expect(A.heartbeats).toBe(0);
  }, 15_000);

  if (protocol !== 'boltv2') {
    it('v1 (sofa-rpc-node RpcClient) and v2 clients on the same listener', async () => {
      const { A, port: p } = await standardMesh(hops, protocol);
      const c = client(p);
      const raw = await conn(p);
      const [v1, v2] = await Promise.all([c.invoke('echo', ['from v1']), rawCall(raw, 2301, { method: 'echo', args: ['from v2'], version: 'v2' })]);
      expect(v1).toBe('from v1');
      expect(v2.appResponse).toBe('from v2');
      expect(A.requests.map((r) => r.protocolType).sort()).toEqual(['bolt', 'bolt2']);
    }, 15_000);
  }
});
