import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, type Mosn } from 'mosn';
import { cleanupAfterEach, closedPort, cluster, port, REPO_ROOT, startMosn } from '../helpers.js';
import {
  DEMO,
  decodeResponse,
  DubboConn,
  dubboConsumer,
  encodeHeartbeat,
  encodeRequest,
  FLAG_EVENT,
  java,
  ORDER,
  rawCall,
  startProvider,
  STATUS,
  type RawFrame,
  type ServiceSpec,
  type TestConsumer,
  type TestProvider,
  waitFor,
} from './peers.js';

// Apache Dubbo through mosn, against apache-dubbo-service (provider), dubbo2.js (consumer) and frames built by
// hand with hessian.js / js-to-java. Topologies:
//   one hop   consumer → mosn (listener → clusters of providers) → provider
//   two hops  consumer → mosn egress (cluster "mesh" = the ingress) → mosn ingress → provider
// Each hop is its own in-process Mosn, so the egress cluster can name the ingress's real port.

const cleanups = cleanupAfterEach();

// ---------------------------------------------------------------------------------------------------------
// MOSN config

type Header = { name: string; value: string; regex?: boolean };
const match = (...headers: Header[]) => ({ headers });
const serviceIs = (service: string): Header => ({ name: 'service', value: service });
const methodIs = (method: string): Header => ({ name: 'method', value: method });
const groupIs = (group: string): Header => ({ name: 'group', value: group });
const anyService = match({ name: 'service', value: '.*', regex: true });
const toCluster = (m: unknown, name: string) => ({ match: m, route: { cluster_name: name } });

/** One listener `l` with a `proxy` filter for Dubbo, router `r`, and the clusters given. */
function dubboConfig(o: { routes: unknown[]; clusters: unknown[]; maxFrameSize?: number }): unknown {
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
                    config: {
                      downstream_protocol: 'dubbo',
                      router_config_name: 'r',
                      ...(o.maxFrameSize ? { extend_config: { max_frame_size: o.maxFrameSize } } : {}),
                    },
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
  /** Where consumers connect: the ingress (one hop) or the egress (two hops). */
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
async function mesh(hops: number, o: { routes: unknown[]; clusters: unknown[]; maxFrameSize?: number }): Promise<Mesh> {
  const ingress = await started(dubboConfig(o));
  const ingressPort = port(ingress.listenerAddress('l'));
  if (hops === 1) return { port: ingressPort, ingress, egress: undefined };
  const egress = await started(
    dubboConfig({
      ...(o.maxFrameSize ? { maxFrameSize: o.maxFrameSize } : {}),
      routes: [toCluster(anyService, 'mesh')],
      clusters: [cluster('mesh', [`127.0.0.1:${ingressPort}`])],
    }),
  );
  return { port: port(egress.listenerAddress('l')), ingress, egress };
}

async function provider(name: string, services?: ServiceSpec[]): Promise<TestProvider> {
  const p = await startProvider(name, services ? { services } : {});
  cleanups.push(p.close);
  return p;
}
function consumer(p: number, timeoutSec = 5): TestConsumer {
  const c = dubboConsumer(`127.0.0.1:${p}`, { timeoutSec });
  cleanups.push(() => c.close());
  return c;
}
async function conn(p: number): Promise<DubboConn> {
  const c = await DubboConn.connect(p);
  cleanups.push(() => c.close());
  return c;
}

/** Providers A (DemoService, OrderService) and B (the same); DemoService → a = [A], OrderService → b = [B]. */
async function twoServices(hops: number, maxFrameSize?: number) {
  const A = await provider('A');
  const B = await provider('B');
  const m = await mesh(hops, {
    routes: [toCluster(match(serviceIs(DEMO)), 'a'), toCluster(match(serviceIs(ORDER)), 'b')],
    clusters: [cluster('a', [A.address]), cluster('b', [B.address])],
    ...(maxFrameSize ? { maxFrameSize } : {}),
  });
  return { A, B, ...m };
}

const isError = (f: RawFrame) => !f.isRequest && f.status !== STATUS.OK;
const s = (v: string) => java.String(v);

// ---------------------------------------------------------------------------------------------------------

describe.each([
  ['one hop', 1],
  ['two hops', 2],
])('Dubbo through mosn, %s', (_label, hops) => {
  it('dubbo2.js: echo, boxed plus, an exception (a bare string), 0 as null; one upstream connection', async () => {
    const { A, B, port: p } = await twoServices(hops);
    const c = consumer(p);
    expect(await c.call('echo', [s('hello mosn')])).toEqual({ res: 'hello mosn', err: null });
    expect(await c.call('plus', [java.Integer(20), java.Integer(22)])).toEqual({ res: 42, err: null });
    expect((await c.call('fail', [])).err?.message).toBe('boom from A');
    expect(await c.call('zero', [])).toEqual({ res: null, err: null });
    expect(await c.call('echo', [s('still here')])).toEqual({ res: 'still here', err: null });
    expect(A.requests.map((r) => r.method)).toEqual(['echo', 'plus', 'fail', 'zero', 'echo']);
    expect(A.requests[1]).toMatchObject({ service: DEMO, version: '1.0.0', types: 'Ljava/lang/Integer;Ljava/lang/Integer;', args: [20, 22] });
    expect(B.requests).toHaveLength(0);
    expect(A.connections).toBe(1);
  }, 15_000);

  it('routes two services to two providers by the service header', async () => {
    const { A, B, port: p } = await twoServices(hops);
    const c = consumer(p);
    for (let i = 0; i < 10; i++) {
      expect((await c.call('whoami', [], { service: DEMO })).res).toBe('A');
      expect((await c.call('whoami', [], { service: ORDER })).res).toBe('B');
    }
    expect(A.requests.every((r) => r.service === DEMO)).toBe(true);
    expect(B.requests.every((r) => r.service === ORDER)).toBe(true);
    expect(A.requests.length + B.requests.length).toBe(20);
  }, 15_000);

  it('no route: status 60 from mosn with the reason in the hessian2 string body; nothing forwarded', async () => {
    const { A, B, port: p } = await twoServices(hops);
    const raw = await conn(p);
    const r = await rawCall(raw, 7001, { service: 'org.example.Missing', method: 'whoami' });
    expect(r.frame).toMatchObject({ isRequest: false, isEvent: false, flag: 0x02, requestId: 7001, status: STATUS.SERVICE_NOT_FOUND });
    expect(r.error).toBe('no route matched');
    // dubbo2.js sees the same answer as an error
    const viaClient = await consumer(p).call('whoami', [], { service: 'org.example.Missing' });
    expect(viaClient.err?.message).toContain('no route matched');
    expect(A.requests.length + B.requests.length).toBe(0);
  }, 15_000);

  // A `method` header rule reads the RPC method of the frame (for HTTP it is the request method).
  it('routes by method: DemoService.audit to its own provider, other methods to the service provider', async () => {
    const A = await provider('A');
    const C = await provider('C');
    const { port: p } = await mesh(hops, {
      routes: [toCluster(match(serviceIs(DEMO), methodIs('audit')), 'audit'), toCluster(match(serviceIs(DEMO)), 'demo')],
      clusters: [cluster('audit', [C.address]), cluster('demo', [A.address])],
    });
    const c = consumer(p);
    expect((await c.call('audit', [s('order-1')])).res).toBe('C audited order-1');
    expect((await c.call('whoami', [])).res).toBe('A');
    expect(C.requests.map((r) => r.method)).toEqual(['audit']);
    expect(A.requests.map((r) => r.method)).toEqual(['whoami']);
  }, 15_000);

  it('routes by group (an attachment); the group and other attachments reach the provider unchanged', async () => {
    const blue = await provider('Blue', [{ interface: DEMO, group: 'blue' }]);
    const green = await provider('Green', [{ interface: DEMO, group: 'green' }]);
    const plain = await provider('Plain', [{ interface: DEMO }]);
    const { port: p } = await mesh(hops, {
      routes: [
        toCluster(match(serviceIs(DEMO), groupIs('blue')), 'blue'),
        toCluster(match(serviceIs(DEMO), { name: 'group', value: '^gr(e+)n$', regex: true }), 'green'),
        toCluster(match(serviceIs(DEMO)), 'plain'),
      ],
      clusters: [cluster('blue', [blue.address]), cluster('green', [green.address]), cluster('plain', [plain.address])],
    });
    const c = consumer(p);
    expect((await c.call('group', [], { group: 'blue' })).res).toBe('Blue:blue');
    expect((await c.call('group', [], { group: 'green' })).res).toBe('Green:green');
    expect((await c.call('group', [])).res).toBe('Plain:');
    const raw = await conn(p);
    const r = await rawCall(raw, 7101, { method: 'echo', args: [s('with attachments')], group: 'blue', attachments: { 'x-trace': 't-7101', tenant: 'acme' } });
    expect(r.value).toBe('with attachments');
    expect(blue.requests[1]!.attachments).toMatchObject({ group: 'blue', 'x-trace': 't-7101', tenant: 'acme', path: DEMO, version: '1.0.0' });
    expect([blue.requests.length, green.requests.length, plain.requests.length]).toEqual([2, 1, 1]);
  }, 15_000);

  it("version mismatch: the provider's own status 60 and message pass through", async () => {
    const { A, port: p } = await twoServices(hops);
    const raw = await conn(p);
    const r = await rawCall(raw, 7201, { method: 'whoami', version: '2.0.0' });
    expect(r.frame).toMatchObject({ requestId: 7201, status: STATUS.SERVICE_NOT_FOUND, flag: 0x02 });
    expect(r.error).toBe(`SERVICE_NOT_FOUND#Service not found with ${DEMO} and whoami, group:, version:2.0.0`);
    expect(A.requests).toMatchObject([{ method: 'whoami', version: '2.0.0' }]); // the provider's answer, not mosn's
    expect((await consumer(p).call('whoami', [], { version: '2.0.0' })).err?.message).toContain('SERVICE_NOT_FOUND#');
  }, 15_000);

  it('heartbeats from the consumer are answered by mosn itself; the provider never sees them', async () => {
    const { A, port: p } = await twoServices(hops);
    const c = await conn(p);
    expect((await rawCall(c, 7300, { method: 'echo', args: [s('warm')] })).value).toBe('warm'); // upstream connected
    for (const id of [7301, 7302, 2 ** 40]) c.write(encodeHeartbeat(id));
    for (const id of [7301, 7302, 2 ** 40]) {
      const hb = await c.response(id);
      expect(hb).toMatchObject({ isRequest: false, isEvent: true, requestId: id, status: STATUS.OK });
      expect(hb.flag & FLAG_EVENT).toBe(FLAG_EVENT);
      expect(decodeResponse(hb).value).toBeNull();
    }
    await sleep(200);
    expect(A.heartbeats).toBe(0);
    expect(A.requests).toHaveLength(1);
  }, 15_000);

  it('2,000 concurrent calls from 4 dubbo2.js consumers over one upstream connection, each answer to its caller', async () => {
    const { A, ingress, port: p } = await twoServices(hops);
    const cs = [0, 1, 2, 3].map(() => consumer(p, 30));
    const tag = Math.random().toString(36).slice(2);
    const payload = (i: number) => `${tag}-${i}-${'x'.repeat(i % 97)}`;
    const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => cs[i % 4]!.call<string>('echo', [s(payload(i))])));
    const failed = results.filter((r) => r.err);
    expect(failed.length, `first failure: ${String(failed[0]?.err?.message)}`).toBe(0);
    const wrong = results.findIndex((r, i) => r.res !== payload(i));
    expect(wrong, 'an answer went to the wrong caller').toBe(-1);
    expect(A.requests).toHaveLength(2000);
    expect(A.connections, 'upstream connections to the provider').toBe(1);
    if (hops === 2) expect(ingress.listeners[0]!.connections.size, 'egress → ingress connections').toBe(1);
  }, 60_000);

  it('a provider dying mid-load: in-flight calls get an error status, not a hang; later calls go to the survivor', async () => {
    const A = await provider('A');
    const B = await provider('B');
    const { port: p } = await mesh(hops, { routes: [toCluster(anyService, 'ab')], clusters: [cluster('ab', [A.address, B.address])] });
    const c = await conn(p);
    const ids = Array.from({ length: 40 }, (_, i) => 9000 + i);
    const t0 = Date.now();
    for (const id of ids) c.write(encodeRequest(id, { method: 'slow', args: [java.Integer(800)] }));
    await waitFor(() => A.requests.length + B.requests.length === 40, 3000, 'all 40 calls in flight at the providers');
    expect(A.requests.length, 'round robin').toBeGreaterThan(0);
    A.kill();
    await c.until(() => ids.every((id) => c.frames.some((f) => f.requestId === id)), 5000, 'every in-flight call answered');
    expect(Date.now() - t0).toBeLessThan(5000);
    const answers = ids.map((id) => c.frames.find((f) => f.requestId === id)!);
    const errors = answers.filter(isError);
    const fromB = answers.filter((f) => f.status === STATUS.OK).map((f) => decodeResponse(f).value);
    expect(errors.length, 'errors = the calls that were on A; statuses ' + answers.map((f) => f.status).join(',')).toBe(A.requests.length);
    expect(new Set(errors.map((f) => f.status))).toEqual(new Set([STATUS.SERVICE_NOT_FOUND]));
    expect(errors.map((f) => decodeResponse(f).error)).toContain('upstream: connection_termination');
    expect(errors.length + fromB.length).toBe(40);
    expect(new Set(fromB)).toEqual(new Set(['B']));
    // later calls: a connect failure to A is retried on B, so every one is B's
    const later: Array<string | number> = [];
    for (let i = 0; i < 20; i++) {
      const r = await rawCall(c, 9500 + i, { method: 'whoami' });
      later.push(r.frame.status === STATUS.OK ? String(r.value) : r.frame.status);
    }
    expect(later, later.join(',')).toEqual(Array(20).fill('B'));
  }, 15_000);

  it('one-way requests reach the provider and get no response from mosn (the provider answers them; mosn drops that)', async () => {
    const { A, port: p } = await twoServices(hops);
    const c = await conn(p);
    for (let i = 0; i < 3; i++) c.write(encodeRequest(8100 + i, { method: 'echo', args: [s(`one-way-${i}`)], oneWay: true }));
    const after = await rawCall(c, 8200, { method: 'echo', args: [s('two-way')] });
    expect(after.value).toBe('two-way');
    await waitFor(() => A.requests.length === 4, 2000, 'the one-way requests at the provider');
    await sleep(300);
    expect(A.requests.map((r) => [r.args[0], r.twoWay]).sort()).toEqual([['one-way-0', false], ['one-way-1', false], ['one-way-2', false], ['two-way', true]]);
    expect(c.frames.map((f) => f.requestId)).toEqual([8200]);
  }, 15_000);

  it('9 MiB body against max_frame_size: 8 MiB closes the connection as a codec error; 16 MiB passes', async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 0x61);
    const small = await twoServices(hops, 8 * 1024 * 1024);
    const c = await conn(small.port);
    expect((await rawCall(c, 1, { method: 'echo', args: [s('before')] })).value).toBe('before');
    c.write(encodeRequest(2, { method: 'size', args: [big] }));
    const o = await c.outcome(2, 5000);
    if (o.kind === 'response') {
      expect(o.frame.status, 'an answer before the close must be a codec error').toBe(STATUS.SERVICE_ERROR);
      await c.until(() => c.closed, 3000, 'closed after the codec error');
    } else expect(o.kind).toBe('closed');
    expect(small.A.requests.map((r) => r.method)).toEqual(['echo']);
    // another connection is unaffected
    expect((await consumer(small.port).call('whoami', [])).res).toBe('A');

    const large = await twoServices(hops, 16 * 1024 * 1024);
    const d = await conn(large.port);
    const r = await rawCall(d, 3, { method: 'size', args: [big] }, 10_000);
    expect(r.frame.status).toBe(STATUS.OK);
    expect(r.value).toBe(big.length);
    expect(large.A.requests[0]).toMatchObject({ method: 'size', types: '[B' });
  }, 15_000);
});

describe('bad bytes on a Dubbo listener: that connection is closed, another keeps working', () => {
  async function setup() {
    const { A, port: p } = await twoServices(1);
    const good = consumer(p);
    expect((await good.call('echo', [s('before')])).res).toBe('before');
    const stillWorks = async () => {
      expect((await good.call('echo', [s('after')])).res).toBe('after');
      expect((await consumer(p).call('echo', [s('new connection')])).res).toBe('new connection');
    };
    return { A, p, stillWorks };
  }

  it('garbage: the connection is closed without a byte written back', async () => {
    const { A, p, stillWorks } = await setup();
    const c = await conn(p);
    c.write(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02, 0x03]), Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    expect((await c.outcome(undefined)).kind).toBe('closed');
    expect(c.frames).toHaveLength(0);
    await stillWorks();
    expect(A.errors).toEqual([]);
  }, 15_000);

  it('a frame with the magic and then garbage: closed after the bad frame, nothing forwarded', async () => {
    const { A, p, stillWorks } = await setup();
    const c = await conn(p);
    const good = encodeRequest(1101, { method: 'echo', args: [s('first')] });
    // the text after the magic makes a header whose body length is far over the limit
    c.write(good, Buffer.from('\xda\xbbthis is not a dubbo header at all, just text', 'latin1'));
    expect((await c.outcome(undefined, 3000)).kind).toBe('closed');
    expect(c.frames.every((f) => f.requestId === 1101), c.describe()).toBe(true);
    expect(A.requests.filter((r) => r.args[0] !== 'before' && r.args[0] !== 'first')).toHaveLength(0);
    await stillWorks();
  }, 15_000);

  it('a request whose body is not hessian2: answered with status 70 (codec error) and its id, nothing forwarded', async () => {
    const { A, p, stillWorks } = await setup();
    const c = await conn(p);
    const body = Buffer.from([0x01, 0x02, 0x03, 0x04, 0x05]);
    const head = encodeHeartbeat(1151).subarray(0, 16);
    head[2] = 0xc2; // two-way hessian2 request, not an event
    head.writeUInt32BE(body.length, 12);
    c.write(Buffer.concat([head, body]));
    const r = await c.response(1151);
    expect(r).toMatchObject({ status: STATUS.SERVICE_ERROR, flag: 0x02 });
    expect(decodeResponse(r).error).toMatch(/service path is not a hessian2 string/);
    expect(A.requests).toHaveLength(1);
    await stillWorks();
  }, 15_000);

  it('a truncated frame and then end of input: closed, nothing forwarded', async () => {
    const { A, p, stillWorks } = await setup();
    const c = await conn(p);
    const frame = encodeRequest(1201, { method: 'echo', args: [s('truncated')] });
    c.socket.end(frame.subarray(0, frame.length - 5));
    expect((await c.outcome(1201)).kind).toBe('closed');
    expect(A.requests.some((r) => r.args[0] === 'truncated')).toBe(false);
    await stillWorks();
  }, 15_000);

  it('a frame split into 1-byte writes is served', async () => {
    const { p, stillWorks } = await setup();
    const c = await conn(p);
    const frame = encodeRequest(1401, { method: 'echo', args: [s('bytewise')] });
    for (let i = 0; i < frame.length; i++) {
      c.socket.write(frame.subarray(i, i + 1));
      await sleep(1);
    }
    expect(decodeResponse(await c.response(1401)).value).toBe('bytewise');
    await stillWorks();
  }, 15_000);
});

describe('configs/mosn_dubbo.json (egress → ingress in one mosn)', () => {
  /** The example with its listeners on 127.0.0.1 (the ingress on a free port the egress cluster names) and the providers' addresses. */
  async function fromFile() {
    const cfg = loadConfigFile(`${REPO_ROOT}configs/mosn_dubbo.json`) as any;
    const [A1, A2, Audit, Order] = await Promise.all([provider('A1'), provider('A2'), provider('Audit'), provider('Order')]);
    const server = cfg.servers[0];
    server.default_log_path = 'stderr';
    server.default_log_level = 'ERROR';
    const ingressPort = await closedPort();
    for (const l of server.listeners) l.address = l.name === 'ingress_dubbo' ? `127.0.0.1:${ingressPort}` : '127.0.0.1:0';
    const hosts: Record<string, string[]> = {
      provider_mesh: [`127.0.0.1:${ingressPort}`],
      demo_service: [A1!.address, A2!.address],
      demo_audit: [Audit!.address],
      order_service: [Order!.address],
    };
    for (const c of cfg.cluster_manager.clusters) {
      expect(hosts[c.name], `cluster ${c.name} of the example`).toBeDefined();
      expect(c.hosts).toHaveLength(hosts[c.name]!.length);
      c.hosts = hosts[c.name]!.map((address) => ({ address }));
    }
    const mosn = await started(cfg);
    return { mosn, egress: port(mosn.listenerAddress('egress_dubbo')), A1: A1!, A2: A2!, Audit: Audit!, Order: Order! };
  }

  it('routes DemoService (round robin over two providers) and OrderService by service, through both listeners', async () => {
    const { egress, A1, A2, Order, Audit } = await fromFile();
    const c = consumer(egress);
    const demo: string[] = [];
    for (let i = 0; i < 6; i++) demo.push(String((await c.call('whoami', [], { service: DEMO })).res));
    expect(demo.sort()).toEqual(['A1', 'A1', 'A1', 'A2', 'A2', 'A2']);
    expect((await c.call('whoami', [], { service: ORDER })).res).toBe('Order');
    expect(A1.requests.length + A2.requests.length + Order.requests.length).toBe(7);
    expect(Audit.requests).toHaveLength(0);
    // the egress routes only org.apache.dubbo.demo.*: anything else is refused there
    const raw = await conn(egress);
    const r = await rawCall(raw, 1, { service: 'org.example.Other', method: 'whoami' });
    expect([r.frame.status, r.error]).toEqual([STATUS.SERVICE_NOT_FOUND, 'no route matched']);
    // a heartbeat is answered by the egress
    raw.write(encodeHeartbeat(2));
    expect(await raw.response(2)).toMatchObject({ isEvent: true, status: STATUS.OK });
  }, 15_000);

  it('routes DemoService.audit by method to the audit provider', async () => {
    const { egress, A1, A2, Audit } = await fromFile();
    const c = consumer(egress);
    expect((await c.call('audit', [s('x')], { service: DEMO })).res).toBe('Audit audited x');
    expect(Audit.requests.map((r) => r.method)).toEqual(['audit']);
    expect(A1.requests.length + A2.requests.length).toBe(0);
  }, 15_000);

  it('the 8 MiB max_frame_size of the example: a 9 MiB request closes the connection; the egress keeps serving', async () => {
    const { egress, A1, A2 } = await fromFile();
    const c = await conn(egress);
    c.write(encodeRequest(1, { method: 'size', args: [Buffer.alloc(9 * 1024 * 1024)] }));
    const o = await c.outcome(1, 5000);
    expect(o.kind === 'closed' || (o.kind === 'response' && o.frame.status === STATUS.SERVICE_ERROR), c.describe()).toBe(true);
    expect(A1.requests.length + A2.requests.length).toBe(0);
    expect((await consumer(egress).call('size', [s('abc')])).res).toBe(3);
  }, 15_000);
});
