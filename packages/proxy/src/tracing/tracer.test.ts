import { describe, expect, it } from 'vitest';
import { HttpHeaders, SimpleHeaderMap, type Connection, type HttpRequestHead, type ServerStream, type XFrame, type XServerConnection } from '@mosn/stream';
import type { RequestSpan } from './request-span.js';
import { SofaTraceIds } from './sofa-tracer.js';
import { parseTraceparent } from './traceparent.js';
import { Tracer } from './tracer.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const connection = { remoteAddress: '10.0.0.9', remotePort: 40000 } as unknown as Connection;

function tracer(sampleRate = 1): { spans: RequestSpan[]; l: ReturnType<Tracer['listener']> } {
  const spans: RequestSpan[] = [];
  const t = new Tracer({ sampleRate, sink: { push: (s) => spans.push(s) }, sofaTraceIds: new SofaTraceIds('0a000001', 77) });
  return { spans, l: t.listener('ingress') };
}

function head(headers: string[], o: Partial<HttpRequestHead> = {}): HttpRequestHead {
  return { method: 'GET', path: '/a/b?secret=1', versionMajor: 1, versionMinor: 1, headers: new HttpHeaders(['host', 'example.com', ...headers]), ...o };
}
const stream = (protocol = 'Http1') => ({ protocol, connection }) as unknown as ServerStream;
const server = (protocol: string) => ({ protocol, connection }) as unknown as XServerConnection;
const frame = (entries: Array<[string, string]>) => ({ header: new SimpleHeaderMap(entries) }) as unknown as XFrame;

describe('ListenerTracer.startHttp', () => {
  it("continues a sampled traceparent: same trace, the client's span as parent, mosn's span upstream; tracestate kept", () => {
    const { l } = tracer();
    const h = head(['traceparent', `00-${TRACE}-${PARENT}-01`, 'tracestate', 'v=1']);
    const span = l.startHttp(h, stream())!;
    expect(span.traceId).toBe(TRACE);
    expect(span.parentSpanId).toBe(PARENT);
    expect(parseTraceparent(h.headers.get('traceparent')!)).toEqual({ traceId: TRACE, parentId: span.spanId, sampled: true });
    expect(h.headers.get('tracestate')).toBe('v=1');
    expect(span.name).toBe('GET');
    expect(span.urlPath).toBe('/a/b');
  });

  it('starts a trace when there is none, and replaces an invalid traceparent (and its tracestate)', () => {
    const { l } = tracer();
    const none = head([]);
    const span = l.startHttp(none, stream())!;
    expect(span.parentSpanId).toBe('');
    expect(parseTraceparent(none.headers.get('traceparent')!)).toEqual({ traceId: span.traceId, parentId: span.spanId, sampled: true });
    const bad = head(['traceparent', 'junk', 'tracestate', 'v=1']);
    const other = l.startHttp(bad, stream())!;
    expect(other.traceId).not.toBe(span.traceId);
    expect(bad.headers.get('tracestate')).toBeUndefined();
    expect(bad.headers.raw.filter((x) => x === 'traceparent')).toHaveLength(1);
  });

  it("follows an unsampled parent: no span, the client's traceparent unchanged", () => {
    const { l } = tracer(1);
    const h = head(['traceparent', `00-${TRACE}-${PARENT}-00`]);
    expect(l.startHttp(h, stream())).toBeUndefined();
    expect(h.headers.get('traceparent')).toBe(`00-${TRACE}-${PARENT}-00`);
  });

  it('at rate 0 records nothing but still starts a trace upstream, unsampled', () => {
    const { l } = tracer(0);
    const h = head([]);
    expect(l.startHttp(h, stream())).toBeUndefined();
    expect(parseTraceparent(h.headers.get('traceparent')!)?.sampled).toBe(false);
    // a sampled parent is followed whatever the rate
    expect(l.startHttp(head(['traceparent', `00-${TRACE}-${PARENT}-01`]), stream())).toBeDefined();
  });

  it('names a gRPC call by its method and reads grpc-status; marks 5xx and flagged answers as errors', () => {
    const { l, spans } = tracer();
    const grpc = l.startHttp(head(['content-type', 'application/grpc'], { method: 'POST', path: '/e2e.Echo/Unary', versionMajor: 2, versionMinor: 0 }), stream('Http2'))!;
    expect([grpc.name, grpc.rpcSystem, grpc.rpcService, grpc.rpcMethod, grpc.httpVersion]).toEqual(['e2e.Echo/Unary', 'grpc', 'e2e.Echo', 'Unary', '2']);
    grpc.response(200, new HttpHeaders([]));
    grpc.trailers(new HttpHeaders(['grpc-status', '14']));
    grpc.end();
    grpc.end();
    expect(spans).toEqual([grpc]);
    expect(grpc.isError).toBe(true);
    expect(grpc.durationMs).toBeGreaterThanOrEqual(0);

    const ok = l.startHttp(head([]), stream())!;
    ok.upstream('c1', '127.0.0.1:1');
    ok.upstream('c1', '127.0.0.1:2');
    ok.response(404, new HttpHeaders([]));
    expect(ok.isError).toBe(false);
    const attrs: Record<string, string | number> = {};
    ok.forEachAttribute((k, v) => (attrs[k] = v));
    expect(attrs).toMatchObject({
      'mosn.listener': 'ingress',
      'http.request.method': 'GET',
      'url.path': '/a/b',
      'server.address': 'example.com',
      'http.response.status_code': 404,
      'client.address': '10.0.0.9',
      'mosn.upstream.cluster': 'c1',
      'mosn.upstream.host': '127.0.0.1:2',
      'mosn.upstream.attempts': 2,
    });
    const failed = l.startHttp(head([]), stream())!;
    failed.reply(504, 'timeout');
    expect(failed.isError).toBe(true);
    const filtered = l.startHttp(head([]), stream())!;
    filtered.reply(403, 'filter_reply');
    expect(filtered.isError).toBe(false);
  });
});

describe('ListenerTracer.startRpc', () => {
  it("Bolt without a SOFA context: adds SOFATracer's trace id and rpc id 0; the span's trace id is made from it", () => {
    const { l } = tracer();
    const f = frame([['service', 'com.a.S:1.0'], ['sofa_head_method_name', 'echo']]);
    const span = l.startRpc(f, server('bolt'))!;
    const sofa = f.header.get('rpc_trace_context.sofaTraceId')!;
    expect(sofa).toMatch(/^0a000001\d{13}\d{4}77$/);
    expect(f.header.get('rpc_trace_context.sofaRpcId')).toBe('0');
    expect(span.traceId).toBe(sofa.padStart(32, '0'));
    expect([span.name, span.rpcSystem, span.sofaTraceId, span.sofaRpcId]).toEqual(['com.a.S:1.0/echo', 'sofarpc', sofa, '0']);
  });

  it("Bolt with a SOFA context: passes it on unchanged (the header map is not touched) and records it", () => {
    const { l } = tracer();
    const f = frame([['rpc_trace_context.sofaTraceId', '0ad1348f1403169275002100356696'], ['rpc_trace_context.sofaRpcId', '0.1.2']]);
    const span = l.startRpc(f, server('boltv2'))!;
    expect((f.header as SimpleHeaderMap).changed).toBe(false);
    expect([span.traceId, span.sofaRpcId]).toEqual(['000ad1348f1403169275002100356696', '0.1.2']);
  });

  it('Dubbo: W3C traceparent in the attachments, continued or started', () => {
    const { l } = tracer();
    const f = frame([['service', 'org.Demo'], ['method', 'hi'], ['traceparent', `00-${TRACE}-${PARENT}-01`]]);
    const span = l.startRpc(f, server('dubbo'))!;
    expect([span.traceId, span.parentSpanId, span.rpcSystem, span.name]).toEqual([TRACE, PARENT, 'apache_dubbo', 'org.Demo/hi']);
    expect(parseTraceparent(f.header.get('traceparent')!)?.parentId).toBe(span.spanId);
  });

  it('another protocol: a span, nothing written to its frame', () => {
    const { l } = tracer();
    const f = frame([['service', 'x']]);
    const span = l.startRpc(f, server('example'))!;
    expect(span.rpcSystem).toBe('example');
    expect((f.header as SimpleHeaderMap).changed).toBe(false);
    span.rpcResponse(3, 500);
    expect(span.isError).toBe(true);
  });
});
