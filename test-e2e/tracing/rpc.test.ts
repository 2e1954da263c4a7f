import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach, closedPort, cluster, waitUntil } from '../helpers.js';
import { mosnJson, proxyListener, serviceRouter, startMosnProcess } from '../reload/support.js';
import { BoltConn, decodeResponse, encodeRequest, rawCall, rpcClient, SERVICE, splitFrames as splitBoltFrames, startRpcServer } from '../bolt/peers.js';
import { DEMO, DubboConn, dubboConsumer, java, rawCall as rawDubboCall, startProvider } from '../dubbo/peers.js';
import { otlpReceiver, type OtlpReceiver } from './otlp-receiver.js';

/*
 * Tracing of RPC through mosn as its own process: SOFARPC Bolt between sofa-rpc-node's client and server, with
 * SOFATracer's context in the Bolt header map (what the server receives is read with sofa-bolt-node's own header
 * decoder), and Dubbo between dubbo2.js (or frames built with hessian.js) and apache-dubbo-service, with W3C
 * `traceparent` in the attachments (what the provider decoded). Spans go to a small real OTLP/HTTP collector.
 */

const cleanups = cleanupAfterEach();
const require = createRequire(import.meta.url);
const headerMap = require('sofa-bolt-node/lib/simple_map_serializer') as { decode(b: Buffer): Record<string, string>; encode(m: Record<string, string>): Buffer };

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
/** SOFATracer's trace id: 8 hex digits of address, 13 of milliseconds, a 4-digit counter, the pid. */
const SOFA_TRACE_ID = /^[0-9a-f]{8}\d{13}\d{4}\d+$/;

function tracing(endpoint: string): Record<string, unknown> {
  return { tracing: { enable: true, driver: 'otel', config: { service_name: 'rpc_sidecar', endpoint, batch_interval: '50ms' } } };
}

async function receiver(): Promise<OtlpReceiver> {
  const r = await otlpReceiver();
  cleanups.push(() => r.close());
  return r;
}

/**
 * A TCP tap in front of `target`: every byte goes through both ways, and the header map of each Bolt request
 * passing to the server is decoded with sofa-bolt-node's SimpleMapSerializer, as the server's codec would read it.
 */
async function boltTap(target: number): Promise<{ port: number; headers: Array<Record<string, string>>; crc: boolean[] }> {
  const headers: Array<Record<string, string>> = [];
  const crc: boolean[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(target, '127.0.0.1');
    sockets.add(down).add(up);
    let buf: Buffer = Buffer.alloc(0);
    down.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const { frames, rest } = splitBoltFrames(buf);
      buf = rest;
      for (const f of frames) {
        if (f.type === 0 || f.cmdCode !== 1) continue; // responses, heartbeats
        if (f.crc) crc.push(f.crcValid);
        const v2 = f.proto === 2 ? 2 : 0;
        const classLen = f.raw.readUInt16BE(14 + v2);
        const headerLen = f.raw.readUInt16BE(16 + v2);
        const at = 22 + v2 + classLen;
        headers.push(headerMap.decode(f.raw.subarray(at, at + headerLen)));
      }
    });
    down.pipe(up).pipe(down);
    for (const s of [down, up]) s.on('error', () => (down.destroy(), up.destroy()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))));
  return { port: (server.address() as net.AddressInfo).port, headers, crc };
}

/**
 * A Bolt v1 request as a Java SOFARPC client writes it: sofa-bolt-node's frame (hessian2 SofaRequest), its header
 * map (sofa-bolt-node writes only `service` there for hessian2) extended with SOFARPC's keys and `extra`.
 */
function javaStyleRequest(id: number, method: string, args: unknown[], extra: Record<string, string>): Buffer {
  const raw = encodeRequest(id, { method, args });
  const classLen = raw.readUInt16BE(14);
  const headerLen = raw.readUInt16BE(16);
  const at = 22 + classLen;
  const header = { ...headerMap.decode(raw.subarray(at, at + headerLen)), sofa_head_target_service: SERVICE, sofa_head_method_name: method, ...extra };
  const encoded = headerMap.encode(header);
  const head = Buffer.from(raw.subarray(0, at));
  head.writeUInt16BE(encoded.length, 16);
  return Buffer.concat([head, encoded, raw.subarray(at + headerLen)]);
}

describe('tracing of SOFARPC Bolt (sofa-rpc-node) through mosn', () => {
  it("adds SOFATracer's trace id and rpc id 0 when a request has none, passes a client's on unchanged; one trace over two hops", async () => {
    const collector = await receiver();
    const server = await startRpcServer('s1');
    cleanups.push(server.close);
    const tap = await boltTap(server.port);
    const [admin, ingress, egress] = [await closedPort(), await closedPort(), await closedPort()];
    const dir = mkdtempSync(join(tmpdir(), 'mosn-tracing-bolt-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const accessLog = join(dir, 'access.log');
    await startMosnProcess(
      {
        ...mosnJson({
          admin,
          listeners: [
            proxyListener('egress', egress, 'bolt,boltv2', 'out'),
            { ...proxyListener('ingress', ingress, 'bolt,boltv2', 'in'), access_logs: [{ log_path: accessLog, log_format: '%trace_id%' }] },
          ],
          routers: [serviceRouter('out', 'mesh'), serviceRouter('in', 'sofa')],
          clusters: [cluster('mesh', [`127.0.0.1:${ingress}`]), cluster('sofa', [`127.0.0.1:${tap.port}`])],
        }),
        ...tracing(collector.endpoint),
      },
      cleanups,
    );
    // sofa-rpc-node's client sends no trace context
    const client = rpcClient(`127.0.0.1:${ingress}`);
    cleanups.push(() => client.close());
    expect(await client.invoke('echo', ['first'])).toBe('first');
    // a Java SOFARPC client's request with SOFATracer's context in the header map
    const conn = await BoltConn.connect(ingress);
    cleanups.push(() => conn.close());
    const clientTraceId = '0ad1348f1403169275002100356696';
    conn.write(javaStyleRequest(11, 'echo', ['second'], { 'rpc_trace_context.sofaTraceId': clientTraceId, 'rpc_trace_context.sofaRpcId': '0.1.2', 'rpc_trace_context.sofaPenAttrs': 'mark=T&' }));
    expect(decodeResponse(await conn.response(11)).appResponse).toBe('second');
    // Bolt v2 with CRC32: the header map mosn changed is written with a new checksum, which the server checks
    const v2 = await BoltConn.connect(ingress);
    cleanups.push(() => v2.close());
    expect((await rawCall(v2, 12, { method: 'echo', args: ['third'], version: 'v2' })).appResponse).toBe('third');
    const spans = await collector.waitSpans(3, 5000, 'three spans');
    expect(collector.problems).toEqual([]);

    // what the server got: a new SOFA trace (rpc id 0), the client's context as it came, a new one again
    expect(tap.headers).toHaveLength(3);
    const [first, second, third] = tap.headers as [Record<string, string>, Record<string, string>, Record<string, string>];
    expect(first['rpc_trace_context.sofaTraceId']).toMatch(SOFA_TRACE_ID);
    expect(first['rpc_trace_context.sofaRpcId']).toBe('0');
    expect(first.service).toBe(SERVICE);
    expect(second).toMatchObject({ 'rpc_trace_context.sofaTraceId': clientTraceId, 'rpc_trace_context.sofaRpcId': '0.1.2', 'rpc_trace_context.sofaPenAttrs': 'mark=T&' });
    expect(third['rpc_trace_context.sofaTraceId']).toMatch(SOFA_TRACE_ID);
    expect(third['rpc_trace_context.sofaTraceId']).not.toBe(first['rpc_trace_context.sofaTraceId']);
    expect(tap.crc).toEqual([true]);

    expect(spans[0]).toMatchObject({
      traceId: first['rpc_trace_context.sofaTraceId']!.padStart(32, '0'),
      parentSpanId: '',
      // sofa-rpc-node writes no method into the header map (a Java client does: see the next span)
      name: SERVICE,
      kind: 2,
      status: undefined,
      attributes: {
        'mosn.listener': 'ingress',
        'network.protocol.name': 'bolt',
        'rpc.system': 'sofarpc',
        'rpc.service': SERVICE,
        'rpc.response.status_code': '0',
        'sofa.trace_id': first['rpc_trace_context.sofaTraceId'],
        'sofa.rpc_id': '0',
        'mosn.upstream.cluster': 'sofa',
        'mosn.upstream.host': `127.0.0.1:${tap.port}`,
      },
    });
    expect(spans[1]).toMatchObject({
      traceId: `00${clientTraceId}`,
      name: `${SERVICE}/echo`,
      attributes: { 'rpc.method': 'echo', 'sofa.trace_id': clientTraceId, 'sofa.rpc_id': '0.1.2' },
    });
    expect(spans[2]).toMatchObject({ traceId: third['rpc_trace_context.sofaTraceId']!.padStart(32, '0'), attributes: { 'network.protocol.name': 'boltv2' } });

    // two hops: the egress mosn starts the SOFA trace, the ingress one continues it; the server gets it unchanged
    const meshed = rpcClient(`127.0.0.1:${egress}`);
    cleanups.push(() => meshed.close());
    expect(await meshed.invoke('echo', ['fourth'])).toBe('fourth');
    await collector.waitSpans(5, 5000, 'the two hops');
    const hops = collector.spans.slice(3);
    expect(hops.map((s) => s.attributes['mosn.listener']).sort()).toEqual(['egress', 'ingress']);
    expect(hops[0]!.traceId).toBe(hops[1]!.traceId);
    expect(tap.headers[3]!['rpc_trace_context.sofaTraceId']!.padStart(32, '0')).toBe(hops[0]!.traceId);
    expect(tap.headers[3]!['rpc_trace_context.sofaRpcId']).toBe('0');

    // the access log's trace_id of a Bolt request is SOFATracer's, as SOFA apps log it
    let lines: string[] = [];
    await waitUntil(() => existsSync(accessLog) && (lines = readFileSync(accessLog, 'utf8').trimEnd().split('\n')).length === 4, 5000, 'four access log lines');
    expect(lines).toEqual(tap.headers.map((h) => h['rpc_trace_context.sofaTraceId']));
  });
});

describe('tracing of Dubbo (dubbo2.js, apache-dubbo-service) through mosn', () => {
  it("W3C traceparent in the attachments: started when absent, continued when present; the provider gets mosn's span as parent", async () => {
    const collector = await receiver();
    const provider = await startProvider('p1');
    cleanups.push(provider.close);
    const [admin, port] = [await closedPort(), await closedPort()];
    await startMosnProcess(
      {
        ...mosnJson({ admin, listeners: [proxyListener('dubbo', port, 'dubbo', 'r')], routers: [serviceRouter('r', 'dubbo')], clusters: [cluster('dubbo', [provider.address])] }),
        ...tracing(collector.endpoint),
      },
      cleanups,
    );
    const consumer = dubboConsumer(`127.0.0.1:${port}`);
    cleanups.push(() => consumer.close());
    expect(await consumer.call('echo', [java.String('hi')])).toEqual({ res: 'hi', err: null });
    const conn = await DubboConn.connect(port);
    cleanups.push(() => conn.close());
    const answer = await rawDubboCall(conn, 7, { method: 'echo', args: [java.String('raw')], attachments: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'v=1' } });
    expect(answer.value).toBe('raw');
    const spans = await collector.waitSpans(2, 5000, 'two spans');
    expect(collector.problems).toEqual([]);

    const seen = provider.requests.map((r) => r.attachments);
    expect(seen).toHaveLength(2);
    const tp = (a: Record<string, unknown>) => /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(a.traceparent))?.slice(1);
    expect(spans[0]).toMatchObject({
      parentSpanId: '',
      name: `${DEMO}/echo`,
      status: undefined,
      attributes: { 'network.protocol.name': 'dubbo', 'rpc.system': 'apache_dubbo', 'rpc.service': DEMO, 'rpc.method': 'echo', 'rpc.response.status_code': '20', 'mosn.upstream.cluster': 'dubbo' },
    });
    expect(tp(seen[0]!)).toEqual([spans[0]!.traceId, spans[0]!.spanId]);
    expect(spans[1]).toMatchObject({ traceId: TRACE, parentSpanId: PARENT });
    expect(tp(seen[1]!)).toEqual([TRACE, spans[1]!.spanId]);
    expect(seen[1]!.tracestate).toBe('v=1');
  });
});
