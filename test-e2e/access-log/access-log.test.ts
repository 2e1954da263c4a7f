import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cluster, httpBackend, waitUntil } from '../helpers.js';
import { mosnJson, proxyListener, router, startMosnProcess, type MosnProcess } from '../reload/support.js';
import { rpcClient, SERVICE, startRpcServer, type TestServer } from '../bolt/peers.js';
import { DEMO, DubboConn, encodeRequest, java, rawCall, startProvider, type TestProvider } from '../dubbo/peers.js';

// Access logs end to end: mosn as its own process with access_logs on an HTTP/1, an HTTP/2, a Bolt, a Dubbo and
// a tcp_proxy listener; real clients (node:http, node:http2, sofa-rpc-node, Dubbo frames from hessian.js) and
// peers; each line parsed back and compared with what the client saw.

/** A format easy to split: every field the test compares. */
const FIELDS = ['protocol', 'response_code', 'bytes_received', 'bytes_sent', 'upstream_host', 'duration', 'response_flag', 'request_header_x-id', 'request_header_service', 'start_time'] as const;
const FORMAT = FIELDS.map((f) => `%${f}%`).join('|');
type Line = Record<(typeof FIELDS)[number], string>;

function parse(text: string): Line[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const values = l.split('|');
      expect(values).toHaveLength(FIELDS.length);
      return Object.fromEntries(FIELDS.map((f, i) => [f, values[i]!])) as Line;
    });
}

/** Go's Duration.String(): a non-negative duration. */
const GO_DURATION = /^(\d+(\.\d+)?(ns|µs|ms|s)|\d+m[\d.]+s)$/;
const START_TIME = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{3}$/;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

const cleanups: Array<() => unknown> = [];
let mosn: MosnProcess;
let backend: Awaited<ReturnType<typeof httpBackend>>;
let bolt: TestServer;
let dubbo: TestProvider;
let echo: net.Server;
let echoAddress: string;
const ports = { http1: 0, http2: 0, bolt: 0, dubbo: 0, tcp: 0 };
const dir = mkdtempSync(join(tmpdir(), 'mosn-access-log-'));
const file = (name: string) => join(dir, name);

/** The lines of `name` once it has `n` of them. */
async function lines(name: string, n: number): Promise<Line[]> {
  let text = '';
  await waitUntil(() => existsSync(file(name)) && (text = readFileSync(file(name), 'utf8')).split('\n').length - 1 >= n, 5000, `${n} lines in ${name}`, () => text);
  return parse(text);
}

beforeAll(async () => {
  backend = await httpBackend((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = req.url === '/app/echo' ? Buffer.concat(chunks) : Buffer.from(`hello ${req.url}`);
      res.writeHead(req.url === '/app/created' ? 201 : 200, { 'content-length': body.length });
      res.end(body);
    });
  });
  bolt = await startRpcServer('B');
  dubbo = await startProvider('D');
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoAddress = `127.0.0.1:${(echo.address() as net.AddressInfo).port}`;
  for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
  const logs = (name: string, extra: unknown[] = []) => ({ access_logs: [{ log_path: file(name), log_format: FORMAT }, ...extra] });
  const rpcRoute = { match: { headers: [{ name: 'service', value: '.*', regex: true }] } };
  const config = mosnJson({
    admin: await freePort(),
    routers: [
      router('http', [{ match: { prefix: '/app' }, route: { cluster_name: 'web' } }]),
      router('bolt', [{ ...rpcRoute, route: { cluster_name: 'bolt' } }]),
      router('dubbo', [{ ...rpcRoute, route: { cluster_name: 'dubbo' } }]),
    ],
    listeners: [
      { ...proxyListener('h1', ports.http1, 'Http1', 'http'), ...logs('http.log', [{ log_path: file('default.log') }]) },
      { ...proxyListener('h2', ports.http2, 'Http2', 'http', { upstream: 'Http1' }), ...logs('h2.log') },
      { ...proxyListener('bolt', ports.bolt, 'bolt', 'bolt'), ...logs('rpc.log') },
      { ...proxyListener('dubbo', ports.dubbo, 'dubbo', 'dubbo'), ...logs('dubbo.log') },
      {
        name: 'tcp',
        address: `127.0.0.1:${ports.tcp}`,
        bind_port: true,
        filter_chains: [{ filters: [{ type: 'tcp_proxy', config: { cluster: 'echo' } }] }],
        ...logs('tcp.log'),
      },
    ],
    clusters: [cluster('web', [backend.address]), cluster('bolt', [bolt.address]), cluster('dubbo', [dubbo.address]), cluster('echo', [echoAddress])],
  });
  mosn = await startMosnProcess(config, cleanups);
}, 30_000);

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await backend?.close();
  await bolt?.close();
  await dubbo?.close();
  echo?.close();
  rmSync(dir, { recursive: true, force: true });
});

function h1(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ports.http1, path, method: init.method ?? 'GET', headers: init.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('access logs', () => {
  it('HTTP/1: one line per request with the status, sizes, upstream host, duration and request header the client saw', async () => {
    const a = await h1('/app/created', { headers: { 'x-id': 'one' } });
    const b = await h1('/app/echo', { method: 'POST', headers: { 'x-id': 'two', 'content-type': 'text/plain' }, body: 'abcdefghij' });
    const c = await h1('/nowhere', { headers: { 'x-id': 'three' } });
    const [la, lb, lc] = await lines('http.log', 3);
    expect(la).toMatchObject({ protocol: 'Http1', response_code: String(a.status), bytes_received: '0', bytes_sent: String(a.body.length), upstream_host: backend.address, response_flag: 'false', 'request_header_x-id': 'one', request_header_service: '-' });
    expect(a.status).toBe(201);
    expect(lb).toMatchObject({ response_code: '200', bytes_received: '10', bytes_sent: '10', 'request_header_x-id': 'two' });
    expect(b.body).toBe('abcdefghij');
    // no route: mosn's own 404, flagged, no upstream
    expect(lc).toMatchObject({ response_code: String(c.status), bytes_sent: String(c.body.length), upstream_host: '-', response_flag: 'true', 'request_header_x-id': 'three' });
    expect(c.status).toBe(404);
    for (const l of [la!, lb!, lc!]) {
      expect(l.duration).toMatch(GO_DURATION);
      expect(l.start_time).toMatch(START_TIME);
    }
  });

  it("MOSN's default format when log_format is absent", async () => {
    await h1('/app/default');
    let text = '';
    // after the three requests of the test before
    await waitUntil(() => existsSync(file('default.log')) && (text = readFileSync(file('default.log'), 'utf8')).split('\n').length - 1 >= 4, 5000, 'a 4th line in default.log', () => text);
    const last = text.trimEnd().split('\n').pop()!;
    // %start_time% %trace_id%  %connection_id% %upstream_connection_id% %request_received_duration% %response_received_duration% %bytes_sent%
    // %bytes_received% %protocol% %response_code% %duration% %response_flag% %response_code% %upstream_local_address%
    // %downstream_local_address% %downstream_remote_address% %upstream_host%
    const m = /^(\S+ \S+) - {2}(\d+) (\d+) (\S+) (\S+) (\d+) (\d+) Http1 200 (\S+) false 200 (127\.0\.0\.1:\d+) (127\.0\.0\.1:\d+) (127\.0\.0\.1:\d+) (\S+)$/.exec(last);
    expect(m, last).not.toBeNull();
    expect(m![1]).toMatch(START_TIME);
    expect(m![6]).toBe(String('hello /app/default'.length));
    expect(m![10]).toBe(`127.0.0.1:${ports.http1}`);
    expect(m![12]).toBe(backend.address);
  });

  it('HTTP/2 (node:http2): one line per stream', async () => {
    const session = http2.connect(`http://127.0.0.1:${ports.http2}`);
    cleanups.push(() => session.close());
    const call = (path: string, id: string, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const s = session.request({ ':path': path, ':method': body ? 'POST' : 'GET', 'x-id': id });
        let text = '';
        let status = 0;
        s.on('response', (h) => (status = h[':status'] as number));
        s.setEncoding('utf8');
        s.on('data', (c: string) => (text += c));
        s.on('end', () => resolve({ status, body: text }));
        s.on('error', reject);
        s.end(body);
      });
    const replies = await Promise.all([call('/app/a', 'h2-a'), call('/app/echo', 'h2-b', 'twelve bytes')]);
    session.close();
    const got = await lines('h2.log', 2);
    for (const [i, r] of replies.entries()) {
      const l = got.find((x) => x['request_header_x-id'] === (i === 0 ? 'h2-a' : 'h2-b'))!;
      expect(l).toMatchObject({ protocol: 'Http2', response_code: String(r.status), bytes_sent: String(Buffer.byteLength(r.body)), upstream_host: backend.address, response_flag: 'false' });
      expect(l.duration).toMatch(GO_DURATION);
    }
    expect(got.find((x) => x['request_header_x-id'] === 'h2-b')!.bytes_received).toBe('12');
  });

  it('Bolt (sofa-rpc-node): one line per call, the service header, the server as upstream host', async () => {
    const client = rpcClient(`127.0.0.1:${ports.bolt}`);
    cleanups.push(() => client.close());
    expect(await client.invoke('echo', ['hi'])).toBe('hi');
    expect(await client.invoke('plus', [1, 2])).toBe(3);
    const got = await lines('rpc.log', 2);
    for (const l of got) {
      expect(l).toMatchObject({ protocol: 'bolt', response_code: '200', upstream_host: bolt.address, response_flag: 'false', request_header_service: SERVICE });
      expect(Number(l.bytes_received)).toBeGreaterThan(0);
      expect(Number(l.bytes_sent)).toBeGreaterThan(0);
      expect(l.duration).toMatch(GO_DURATION);
    }
  });

  it('Dubbo (hessian.js frames): request and response body sizes as on the wire', async () => {
    const conn = await DubboConn.connect(ports.dubbo);
    cleanups.push(() => conn.close());
    const spec = { method: 'echo', args: [java.String('dubbo says hi')] };
    const r = await rawCall(conn, 1, spec);
    expect(r.value).toBe('dubbo says hi');
    const [l] = await lines('dubbo.log', 1);
    expect(l).toMatchObject({ protocol: 'dubbo', response_code: '200', upstream_host: dubbo.address, request_header_service: DEMO });
    expect(l!.bytes_received).toBe(String(encodeRequest(1, spec).length - 16));
    expect(l!.bytes_sent).toBe(String(r.frame.body.length));
  });

  it('tcp_proxy: one line per connection, when it closes, with the bytes each way', async () => {
    const s = net.connect(ports.tcp, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write('ping-pong');
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString()));
    await waitUntil(() => got === 'ping-pong', 3000, 'the echo');
    s.end();
    await new Promise((r) => s.once('close', r));
    const [l] = await lines('tcp.log', 1);
    expect(l).toMatchObject({ protocol: 'TCP', bytes_received: '9', bytes_sent: '9', upstream_host: echoAddress, response_flag: 'false' });
    expect(l!.duration).toMatch(GO_DURATION);
  });

  it('SIGUSR1 after the file was moved away: new lines go to a new file at the path', async () => {
    const before = readFileSync(file('http.log'), 'utf8');
    renameSync(file('http.log'), file('http.log.1'));
    const mark = mosn.output().length;
    mosn.child.kill('SIGUSR1');
    await mosn.waitLog((l) => /reopened/.test(l.msg), mark, 5000, 'the reopen log line');
    await h1('/app/rotated', { headers: { 'x-id': 'after' } });
    const [l] = await lines('http.log', 1);
    expect(l!['request_header_x-id']).toBe('after');
    expect(readFileSync(file('http.log.1'), 'utf8')).toBe(before);
    const stats = await mosn.stats();
    expect(stats['access_log.dropped_lines'] ?? 0).toBe(0);
  });
});
