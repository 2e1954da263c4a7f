import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestSpan, Stats, type Logger } from '@mosn/proxy';
import { DEFAULT_TRACING, type TracingConfig } from '../config/tracing-section.js';
import { OtlpHttpExporter } from './otlp-exporter.js';

/** The downstream connection a span reads its client address from. */
const connection = { remoteAddress: '127.0.0.1', remotePort: 5555 } as unknown as ConstructorParameters<typeof RequestSpan>[5];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Received {
  body: any;
  headers: http.IncomingHttpHeaders;
}

/** A real OTLP/HTTP receiver on 127.0.0.1: records each request's JSON; `answer` decides the reply (default 200 `{}`). */
async function receiver(answer: (res: http.ServerResponse, n: number) => void = (res) => res.end('{}')): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ body: JSON.parse(Buffer.concat(chunks).toString()), headers: req.headers });
      answer(res, got.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)), () => server.closeAllConnections());
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1/traces`, got };
}

function logger(lines: string[]): Logger {
  const log = (level: string) => (a: unknown, b?: string) => lines.push(`${level} ${typeof a === 'string' ? a : b}`);
  const l: Logger = { trace: () => {}, debug: () => {}, info: log('info'), warn: log('warn'), error: log('error'), child: () => l };
  return l;
}

function exporter(url: string, o: Partial<TracingConfig> = {}) {
  const stats = new Stats();
  const lines: string[] = [];
  const config: TracingConfig = { url, serviceName: 'svc', resourceAttributes: { env: 'test' }, headers: { 'x-key': 'k' }, ...DEFAULT_TRACING, ...o };
  const e = new OtlpHttpExporter({ config, logger: logger(lines), stats, version: '9.9.9' });
  cleanups.push(() => e.close());
  return { e, stats, lines };
}

function span(sink: OtlpHttpExporter, i = 0): RequestSpan {
  const s = new RequestSpan(sink, `${'ab'.repeat(15)}${String(i).padStart(2, '0')}`, i % 2 ? '00f067aa0ba902b7' : '', 'l1', 'Http1', connection);
  s.httpRequest({ method: 'GET', path: `/p/${i}?q=1`, versionMajor: 1, versionMinor: 1, headers: { get: () => 'h' } as never });
  return s;
}

const until = async (cond: () => boolean, what: string, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('OtlpHttpExporter', () => {
  it('sends a full batch at once as OTLP/JSON: resource, scope, spans with hex ids, times and attributes', async () => {
    const r = await receiver();
    const { e, stats } = exporter(r.url, { batchSize: 3, batchIntervalMs: 60_000 });
    const spans = [span(e, 0), span(e, 1), span(e, 2)];
    spans[2]!.upstream('c', '127.0.0.1:1');
    spans[2]!.upstream('c', '127.0.0.1:2');
    spans[2]!.reply(504, 'timeout');
    for (const s of spans) s.end();
    await until(() => r.got.length === 1, 'one export');
    const { body, headers } = r.got[0]!;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-key']).toBe('k');
    const rs = body.resourceSpans[0];
    expect(rs.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'svc' } },
      { key: 'env', value: { stringValue: 'test' } },
    ]);
    expect(rs.scopeSpans[0].scope).toEqual({ name: 'mosn-ts', version: '9.9.9' });
    const out = rs.scopeSpans[0].spans;
    expect(out.map((s: any) => s.traceId)).toEqual(spans.map((s) => s.traceId));
    expect(out[0].parentSpanId).toBeUndefined();
    expect(out[1].parentSpanId).toBe('00f067aa0ba902b7');
    expect(out[0]).toMatchObject({ spanId: spans[0]!.spanId, name: 'GET', kind: 2 });
    expect(BigInt(out[0].startTimeUnixNano)).toBe(BigInt(spans[0]!.startTimeMs) * 1_000_000n);
    expect(BigInt(out[0].endTimeUnixNano) >= BigInt(out[0].startTimeUnixNano)).toBe(true);
    expect(out[0].attributes).toContainEqual({ key: 'url.path', value: { stringValue: '/p/0' } });
    expect(out[0].attributes).toContainEqual({ key: 'client.address', value: { stringValue: '127.0.0.1' } });
    expect(out[2].attributes).toContainEqual({ key: 'mosn.upstream.attempts', value: { intValue: '2' } });
    expect(out[0].status).toBeUndefined();
    expect(out[2].status).toEqual({ code: 2, message: 'timeout' });
    // counted once the collector's answer is read
    await until(() => stats.get('tracing.spans_exported') === 3, 'three spans counted');
  });

  it('sends what waited batch_interval, then the next ones in their own batch', async () => {
    const r = await receiver();
    const { e, stats } = exporter(r.url, { batchSize: 100, batchIntervalMs: 30 });
    span(e, 1).end();
    await until(() => r.got.length === 1, 'the first export');
    span(e, 2).end();
    span(e, 3).end();
    await until(() => r.got.length === 2, 'the second export');
    expect(r.got.map((g) => g.body.resourceSpans[0].scopeSpans[0].spans.length)).toEqual([1, 2]);
    await until(() => stats.get('tracing.spans_exported') === 3, 'three spans counted');
  });

  it('a collector that is not there: the spans are counted as failed, one warning, and push never throws', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const { e, stats, lines } = exporter(`http://127.0.0.1:${closed}/v1/traces`, { batchSize: 2, batchIntervalMs: 20 });
    for (let i = 0; i < 6; i++) span(e, i).end();
    await until(() => stats.get('tracing.spans_export_failed') === 6, 'six failed spans');
    expect(stats.get('tracing.spans_exported')).toBe(0);
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([
      'warn tracing: export to the collector failed; its spans are lost (counted in tracing.spans_export_failed) until it accepts them again',
    ]);
  });

  it('a collector that does not answer: the queue fills to max_queue_size, the rest is dropped and counted; the timeout fails the batch', async () => {
    const held: http.ServerResponse[] = [];
    const r = await receiver((res) => held.push(res));
    const { e, stats, lines } = exporter(r.url, { batchSize: 2, maxQueueSize: 5, batchIntervalMs: 60_000, timeoutMs: 200 });
    for (let i = 0; i < 20; i++) span(e, i).end();
    expect(stats.get('tracing.spans_dropped')).toBe(15);
    expect(e.queued).toBe(5);
    await until(() => r.got.length === 1, 'the first export');
    expect(lines.filter((l) => l.startsWith('warn'))[0]).toMatch(/span queue is full/);
    await until(() => stats.get('tracing.spans_export_failed') >= 2, 'the timed-out batch counted');
    for (const res of held) res.end('{}');
  });

  it('counts a refusing answer (non-2xx) as failed, and a partialSuccess as the spans it rejected', async () => {
    const r = await receiver((res, n) => {
      if (n === 1) res.writeHead(400).end('bad');
      else res.end(JSON.stringify({ partialSuccess: { rejectedSpans: '1', errorMessage: 'too old' } }));
    });
    const { e, stats, lines } = exporter(r.url, { batchSize: 2, batchIntervalMs: 10 });
    span(e, 0).end();
    span(e, 1).end();
    await until(() => r.got.length === 1 && stats.get('tracing.spans_export_failed') === 2, 'the refused batch');
    span(e, 2).end();
    span(e, 3).end();
    await until(() => stats.get('tracing.spans_exported') === 1, 'the partly accepted batch');
    expect(stats.get('tracing.spans_export_failed')).toBe(3);
    expect(lines.filter((l) => l.startsWith('warn'))).toHaveLength(1);
  });

  it('close() sends what is queued; spans after it are dropped', async () => {
    const r = await receiver();
    const { e, stats } = exporter(r.url, { batchSize: 100, batchIntervalMs: 60_000 });
    for (let i = 0; i < 7; i++) span(e, i).end();
    await e.close();
    expect(r.got.map((g) => g.body.resourceSpans[0].scopeSpans[0].spans.length)).toEqual([7]);
    expect(stats.get('tracing.spans_exported')).toBe(7);
    span(e, 8).end();
    expect(stats.get('tracing.spans_dropped')).toBe(1);
  });
});
