import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, cluster, get, waitUntil } from '../helpers.js';
import { mosnJson, proxyListener, router, startMosnProcess, toCluster, type MosnProcess } from '../reload/support.js';
import { otlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

/*
 * Tracing (`tracing`, driver `otel`) on mosn as its own process, HTTP/1 from node:http and gRPC from grpc-js, spans
 * exported over OTLP/HTTP to a small real collector (otlp-receiver.ts). The backends record the `traceparent` they
 * get, so each test checks both halves of the trace: what mosn reported, and what it told the upstream.
 */

const cleanups = cleanupAfterEach();

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

function tracing(endpoint: string, config: Record<string, unknown> = {}): Record<string, unknown> {
  return { tracing: { enable: true, driver: 'otel', config: { service_name: 'e2e_sidecar', report_method: 'http', endpoint, batch_interval: '50ms', ...config } } };
}

/** A node:http backend answering `ok` (or the status a `/status/<n>` path asks for) and keeping each request's trace headers. */
async function traceBackend(): Promise<{ address: string; seen: Array<{ path: string; traceparent?: string; tracestate?: string }>; close: () => Promise<void> }> {
  const seen: Array<{ path: string; traceparent?: string; tracestate?: string }> = [];
  const server = http.createServer((req, res) => {
    const h = req.headers;
    seen.push({ path: req.url ?? '', ...(h.traceparent ? { traceparent: String(h.traceparent) } : {}), ...(h.tracestate ? { tracestate: String(h.tracestate) } : {}) });
    req.resume().on('end', () => res.writeHead(Number(/^\/status\/(\d+)/.exec(req.url ?? '')?.[1] ?? 200)).end('ok'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return { address, seen, close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

/**
 * mosn with one HTTP/1 listener `ingress` (`/dead` to a cluster nobody listens on, the rest to `backend`) and
 * `tracing`; with `accessLog`, an access log of `%trace_id% %x-mosn-path%` there.
 */
async function httpMosn(backend: string, top: Record<string, unknown>, accessLog?: string): Promise<{ mosn: MosnProcess; port: number; config: Record<string, unknown> }> {
  const [admin, port, dead, dead2] = [await closedPort(), await closedPort(), await closedPort(), await closedPort()];
  const config = {
    ...mosnJson({
      admin,
      listeners: [{ ...proxyListener('ingress', port, 'Http1', 'r1'), ...(accessLog ? { access_logs: [{ log_path: accessLog, log_format: '%trace_id% %x-mosn-path%' }] } : {}) }],
      routers: [router('r1', [toCluster('/dead', 'gone'), toCluster('/', 'app')])],
      clusters: [cluster('app', [backend]), cluster('gone', [`127.0.0.1:${dead}`, `127.0.0.1:${dead2}`])],
    }),
    ...top,
  };
  return { mosn: await startMosnProcess(config, cleanups), port, config };
}

const byPath = (spans: ReceivedSpan[], path: string) => spans.filter((s) => s.attributes['url.path'] === path);
const parsed = (tp: string | undefined) => {
  const m = TRACEPARENT.exec(tp ?? '');
  if (!m) throw new Error(`not a version-00 traceparent: ${tp}`);
  return { traceId: m[1]!, parentId: m[2]!, sampled: m[3] === '01' };
};

async function receiver(): Promise<OtlpReceiver> {
  const r = await otlpReceiver();
  cleanups.push(() => r.close());
  return r;
}

describe('tracing of HTTP/1 (node:http) through mosn, OTLP/HTTP to a collector', () => {
  it("continues the client's trace (the upstream's parent is mosn's span), starts one when there is none, replaces an invalid one", async () => {
    const collector = await receiver();
    const backend = await traceBackend();
    cleanups.push(backend.close);
    const dir = mkdtempSync(join(tmpdir(), 'mosn-tracing-log-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const accessLog = join(dir, 'access.log');
    const { mosn, port } = await httpMosn(backend.address, tracing(collector.endpoint), accessLog);
    const before = Date.now();
    expect((await get(port, '/continued?token=secret', { headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=x' } })).status).toBe(200);
    expect((await get(port, '/started')).status).toBe(200);
    expect((await get(port, '/replaced', { headers: { traceparent: `00-${TRACE.toUpperCase()}-${PARENT}-01`, tracestate: 'stale=1' } })).status).toBe(200);
    expect((await get(port, '/status/503')).status).toBe(503);
    expect((await get(port, '/dead')).status).toBe(502);
    const after = Date.now();
    const spans = await collector.waitSpans(5, 5000, 'five spans');
    expect(collector.problems).toEqual([]);
    expect(spans).toHaveLength(5);

    const [continued] = byPath(spans, '/continued');
    expect(continued).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, name: 'GET', kind: 2, status: undefined });
    expect(continued!.resource['service.name']).toBe('e2e_sidecar');
    expect(continued!.scope.name).toBe('mosn-ts');
    expect(continued!.attributes).toEqual({
      'mosn.listener': 'ingress',
      'network.protocol.version': '1.1',
      'client.address': '127.0.0.1',
      'http.request.method': 'GET',
      'url.path': '/continued',
      'server.address': `127.0.0.1:${port}`,
      'http.response.status_code': 200,
      'mosn.upstream.cluster': 'app',
      'mosn.upstream.host': backend.address,
    });
    // the span's clock: within the test's window, in nanoseconds since the epoch
    expect(continued!.startTimeUnixNano >= BigInt(before - 1) * 1_000_000n).toBe(true);
    expect(continued!.endTimeUnixNano <= BigInt(after + 1) * 1_000_000n).toBe(true);
    const seenContinued = backend.seen.find((s) => s.path.startsWith('/continued'))!;
    expect(parsed(seenContinued.traceparent)).toEqual({ traceId: TRACE, parentId: continued!.spanId, sampled: true });
    expect(seenContinued.tracestate).toBe('vendor=x');

    const [started] = byPath(spans, '/started');
    expect(started!.parentSpanId).toBe('');
    expect(started!.traceId).not.toBe(TRACE);
    expect(parsed(backend.seen.find((s) => s.path === '/started')!.traceparent)).toEqual({ traceId: started!.traceId, parentId: started!.spanId, sampled: true });

    const [replaced] = byPath(spans, '/replaced');
    expect(replaced!.parentSpanId).toBe('');
    const seenReplaced = backend.seen.find((s) => s.path === '/replaced')!;
    expect(parsed(seenReplaced.traceparent)).toEqual({ traceId: replaced!.traceId, parentId: replaced!.spanId, sampled: true });
    expect(seenReplaced.tracestate).toBeUndefined();

    // an upstream's 5xx is an error of the span; so is mosn's own answer, with its response flag
    expect(byPath(spans, '/status/503')[0]).toMatchObject({ status: { code: 2 }, attributes: { 'http.response.status_code': 503 } });
    const [dead] = byPath(spans, '/dead');
    expect(dead!.status).toEqual({ code: 2, message: 'connect_failed' });
    expect(dead!.attributes).toMatchObject({ 'http.response.status_code': 502, 'mosn.response_flag': 'connect_failed', 'mosn.upstream.cluster': 'gone' });
    // its two hosts were both tried (a failed connect is retried on another host)
    expect(dead!.attributes['mosn.upstream.attempts']).toBe(2);

    // the access log's trace_id is the span's
    let lines: string[] = [];
    await waitUntil(() => existsSync(accessLog) && (lines = readFileSync(accessLog, 'utf8').trimEnd().split('\n')).length === 5, 5000, 'five access log lines');
    expect(lines.map((l) => l.split(' ')).sort()).toEqual(spans.map((s) => [s.traceId, s.attributes['url.path']]).sort());

    // counted once mosn read the collector's answer
    const stats = await mosn.waitStats((s) => s['tracing.spans_exported'] === 5, 5000, 'five spans exported');
    expect(stats['tracing.spans_dropped'] ?? 0).toBe(0);
  });

  it('sampling: an unsampled parent is passed on and not recorded; rate 0 records nothing and sends unsampled traces upstream', async () => {
    const collector = await receiver();
    const backend = await traceBackend();
    cleanups.push(backend.close);
    const { mosn, port, config } = await httpMosn(backend.address, tracing(collector.endpoint, { sample_rate: 0 }));
    for (let i = 0; i < 20; i++) expect((await get(port, `/zero/${i}`)).status).toBe(200);
    const unsampled = `00-${TRACE}-${PARENT}-00`;
    expect((await get(port, '/unsampled-parent', { headers: { traceparent: unsampled } })).status).toBe(200);
    // a sampled parent is followed at any rate: its span comes after the others would have (one queue, in order)
    expect((await get(port, '/marker', { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } })).status).toBe(200);
    const spans = await collector.waitSpans(1, 5000, 'the marker span');
    expect(spans.map((s) => s.attributes['url.path'])).toEqual(['/marker']);
    const zero = backend.seen.filter((s) => s.path.startsWith('/zero/')).map((s) => parsed(s.traceparent));
    expect(zero).toHaveLength(20);
    expect(zero.every((t) => !t.sampled)).toBe(true);
    expect(new Set(zero.map((t) => t.traceId)).size).toBe(20);
    expect(backend.seen.find((s) => s.path === '/unsampled-parent')!.traceparent).toBe(unsampled);

    // a reload that changes tracing: warned, kept until a restart
    mosn.write({ ...config, ...tracing(collector.endpoint, { sample_rate: 1 }) });
    const { mark } = mosn.hup();
    await mosn.waitLog((l) => l.msg.includes('tracing keeps its settings until mosn restarts'), mark, 5000, 'the tracing warning');
    expect((await get(port, '/still-zero')).status).toBe(200);
    expect(parsed(backend.seen.at(-1)!.traceparent).sampled).toBe(false);
  });

  it('sample_rate 0.25: about a quarter of new traces recorded, exactly those the upstream was told are sampled', async () => {
    const collector = await receiver();
    const backend = await traceBackend();
    cleanups.push(backend.close);
    const { port } = await httpMosn(backend.address, tracing(collector.endpoint, { sample_rate: 0.25 }));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    cleanups.push(() => agent.destroy());
    const n = 400;
    for (let i = 0; i < n; i += 8) {
      const batch = Array.from({ length: 8 }, (_, j) => get(port, `/ratio/${i + j}`, { agent }));
      for (const r of await Promise.all(batch)) expect(r.status).toBe(200);
    }
    expect((await get(port, '/marker', { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } })).status).toBe(200);
    // one queue, in order: once the marker's span is in, every span before it is
    await waitUntil(() => collector.spans.some((s) => s.attributes['url.path'] === '/marker'), 10_000, 'the marker span');
    const recorded = collector.spans.filter((s) => String(s.attributes['url.path']).startsWith('/ratio/'));
    // binomial(400, 0.25): mean 100, sd 8.7; 6 sd either way
    expect(recorded.length).toBeGreaterThan(100 - 52);
    expect(recorded.length).toBeLessThan(100 + 52);
    const told = backend.seen.filter((s) => s.path.startsWith('/ratio/')).map((s) => ({ path: s.path, ...parsed(s.traceparent) }));
    expect(told).toHaveLength(n);
    const sampledPaths = told.filter((t) => t.sampled).map((t) => t.path).sort();
    expect(recorded.map((s) => String(s.attributes['url.path'])).sort()).toEqual(sampledPaths);
    for (const s of recorded) expect(told.find((t) => t.path === s.attributes['url.path'])).toMatchObject({ traceId: s.traceId, parentId: s.spanId });
    expect(collector.problems).toEqual([]);
  });

  it('a collector that is down changes nothing for traffic: every request answered, the spans counted as failed, one warning', async () => {
    const backend = await traceBackend();
    cleanups.push(backend.close);
    const down = await closedPort();
    const { mosn, port } = await httpMosn(backend.address, tracing(`127.0.0.1:${down}`, { batch_size: 10 }));
    for (let i = 0; i < 40; i++) expect((await get(port, `/x/${i}`)).status).toBe(200);
    const stats = await mosn.waitStats((s) => s['tracing.spans_export_failed'] === 40, 5000, 'forty failed spans');
    expect(stats['tracing.spans_exported'] ?? 0).toBe(0);
    expect(backend.seen).toHaveLength(40);
    expect(mosn.logs().filter((l) => l.msg.startsWith('tracing: export to the collector failed'))).toHaveLength(1);
  });

  it('a collector that hangs: the queue fills to max_queue_size, the rest is dropped and counted, traffic goes on; sent once it answers', async () => {
    const collector = await receiver();
    collector.hold();
    const backend = await traceBackend();
    cleanups.push(backend.close);
    const { mosn, port } = await httpMosn(backend.address, tracing(collector.endpoint, { batch_size: 4, max_queue_size: 8, batch_interval: '1m', timeout: '1m' }));
    for (let i = 0; i < 100; i++) expect((await get(port, `/h/${i}`)).status).toBe(200);
    // 4 in the export that hangs, 8 queued, the rest dropped
    let stats = await mosn.waitStats((s) => (s['tracing.spans_dropped'] ?? 0) >= 88, 5000, 'dropped spans');
    expect(stats['tracing.spans_dropped']).toBe(88);
    expect(collector.requests()).toBe(1);
    collector.release();
    stats = await mosn.waitStats((s) => s['tracing.spans_exported'] === 12, 5000, 'the held and the queued spans exported');
    expect(collector.spans).toHaveLength(12);
    expect(mosn.logs().filter((l) => l.msg.startsWith('tracing: the span queue is full'))).toHaveLength(1);
  });

  it('a graceful stop sends the spans still queued', async () => {
    const collector = await receiver();
    const backend = await traceBackend();
    cleanups.push(backend.close);
    const { mosn, port } = await httpMosn(backend.address, tracing(collector.endpoint, { batch_interval: '1m' }));
    for (let i = 0; i < 3; i++) expect((await get(port, `/q/${i}`)).status).toBe(200);
    expect(collector.spans).toHaveLength(0);
    await mosn.stop();
    expect(await mosn.exited).toBe(0);
    expect(collector.spans.map((s) => s.attributes['url.path'])).toEqual(['/q/0', '/q/1', '/q/2']);
  });
});

const PROTO = `syntax = "proto3";
package e2e;
service Echo { rpc Unary (Msg) returns (Msg); }
message Msg { string text = 1; }
`;

describe('tracing of gRPC (grpc-js) through mosn', () => {
  it("one span per call named by its method, with its grpc-status; the server gets mosn's span as parent", async () => {
    const collector = await receiver();
    const dir = mkdtempSync(join(tmpdir(), 'mosn-tracing-grpc-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'echo.proto'), PROTO);
    const def = grpc.loadPackageDefinition(protoLoader.loadSync(join(dir, 'echo.proto'))) as any;
    const seen: Array<{ text: string; traceparent: string }> = [];
    const server = new grpc.Server();
    server.addService(def.e2e.Echo.service, {
      Unary(call: grpc.ServerUnaryCall<{ text: string }, { text: string }>, cb: grpc.sendUnaryData<{ text: string }>) {
        seen.push({ text: call.request.text, traceparent: String(call.metadata.get('traceparent')[0] ?? '') });
        if (call.request.text === 'invalid') return cb({ code: grpc.status.INVALID_ARGUMENT, details: 'no' });
        if (call.request.text === 'down') return cb({ code: grpc.status.UNAVAILABLE, details: 'down' });
        cb(null, { text: `echo:${call.request.text}` });
      },
    });
    const upPort = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    cleanups.push(() => server.forceShutdown());
    const [admin, port] = [await closedPort(), await closedPort()];
    await startMosnProcess(
      {
        ...mosnJson({
          admin,
          listeners: [proxyListener('grpc', port, 'Http2', 'r', { upstream: 'Http2' })],
          routers: [router('r', [toCluster('/', 'g')])],
          clusters: [cluster('g', [`127.0.0.1:${upPort}`])],
        }),
        ...tracing(collector.endpoint),
      },
      cleanups,
    );
    const client = new def.e2e.Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(() => client.close());
    const call = (text: string, traceparent?: string) =>
      new Promise<{ code: number; text?: string }>((resolve) => {
        const md = new grpc.Metadata();
        if (traceparent) md.set('traceparent', traceparent);
        client.Unary({ text }, md, (err: grpc.ServiceError | null, res?: { text: string }) => resolve(err ? { code: err.code } : { code: 0, text: res!.text }));
      });
    expect(await call('hi', `00-${TRACE}-${PARENT}-01`)).toEqual({ code: 0, text: 'echo:hi' });
    expect((await call('invalid')).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await call('down')).code).toBe(grpc.status.UNAVAILABLE);
    const spans = await collector.waitSpans(3, 5000, 'three spans');
    expect(collector.problems).toEqual([]);
    expect(spans.map((s) => [s.name, s.attributes['rpc.grpc.status_code'], s.status?.code])).toEqual([
      ['e2e.Echo/Unary', 0, undefined],
      ['e2e.Echo/Unary', 3, undefined],
      ['e2e.Echo/Unary', 14, 2],
    ]);
    expect(spans[0]).toMatchObject({
      traceId: TRACE,
      parentSpanId: PARENT,
      attributes: { 'rpc.system': 'grpc', 'rpc.service': 'e2e.Echo', 'rpc.method': 'Unary', 'network.protocol.version': '2', 'http.response.status_code': 200, 'mosn.upstream.cluster': 'g' },
    });
    expect(seen.map((s) => parsed(s.traceparent))).toEqual(spans.map((s) => ({ traceId: s.traceId, parentId: s.spanId, sampled: true })));
  });
});
